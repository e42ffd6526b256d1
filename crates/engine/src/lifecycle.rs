//! A Canvas's life: create, edit, duplicate, launch (with every validation), stop, archive.
//!
//! `draft` → `active` (launch) → `stopped` (stop; launch again resumes) → `archived`.
//! A draft accepts any edit; a launched Canvas accepts the edits `edit_rules` allows;
//! an archived Canvas accepts none.

use async_trait::async_trait;
use pinsync_core::canvas::{
    AudienceRef, CanvasDefinition, ExternalChecks, NoExternalChecks, StepKind, ValidationProblem,
};
use pinsync_store::{CanvasChange, CanvasId, CanvasRecord, CanvasStatus, WorkspaceId};

use crate::edit_rules;
use crate::{Engine, EngineError};

/// The checks only a live Pinterest connection can make, prepared per launch.
///
/// The Pinterest connection provides the real implementation; [`NoLaunchChecks`] adds no
/// problems.
#[async_trait]
pub trait LaunchChecks: Send + Sync {
    /// The external checks for this workspace and definition, or problems found while
    /// preparing them (e.g. no connection at all).
    async fn prepare(
        &self,
        workspace: WorkspaceId,
        definition: &CanvasDefinition,
    ) -> Result<Box<dyn ExternalChecks + Send + Sync>, Vec<ValidationProblem>>;
}

/// Launch checks that find nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLaunchChecks;

#[async_trait]
impl LaunchChecks for NoLaunchChecks {
    async fn prepare(
        &self,
        _workspace: WorkspaceId,
        _definition: &CanvasDefinition,
    ) -> Result<Box<dyn ExternalChecks + Send + Sync>, Vec<ValidationProblem>> {
        Ok(Box::new(NoExternalChecks))
    }
}

/// Every problem with `definition`, local and external.
async fn all_problems(
    checks: &dyn LaunchChecks,
    workspace: WorkspaceId,
    definition: &CanvasDefinition,
) -> Vec<ValidationProblem> {
    match checks.prepare(workspace, definition).await {
        Ok(external) => definition.validate_with(external.as_ref()),
        Err(mut problems) => {
            let mut all = definition.validate();
            all.append(&mut problems);
            all
        }
    }
}

fn done(change: CanvasChange, action: &'static str) -> Result<CanvasRecord, EngineError> {
    match change {
        CanvasChange::Done(record) => Ok(record),
        CanvasChange::WrongStatus(current) => Err(EngineError::WrongStatus { action, current }),
        CanvasChange::StepsInUse(steps) => Err(EngineError::EditRefused(
            steps
                .into_iter()
                .map(|step| edit_rules::in_use_problem(&step))
                .collect(),
        )),
    }
}

impl Engine {
    /// The Canvas, or [`EngineError::CanvasNotFound`].
    pub async fn canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
    ) -> Result<CanvasRecord, EngineError> {
        self.store
            .canvas(workspace, id)
            .await?
            .ok_or(EngineError::CanvasNotFound(id))
    }

    /// Stores a new draft. Drafts may be incomplete: validation happens at launch.
    pub async fn create_canvas(
        &self,
        workspace: WorkspaceId,
        definition: CanvasDefinition,
    ) -> Result<CanvasRecord, EngineError> {
        Ok(self
            .store
            .create_canvas(workspace, definition, self.now())
            .await?)
    }

    /// Replaces the definition, within what the Canvas's status allows.
    pub async fn update_canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        definition: CanvasDefinition,
        checks: &dyn LaunchChecks,
    ) -> Result<CanvasRecord, EngineError> {
        let current = self.canvas(workspace, id).await?;
        let now = self.now();
        match current.status {
            CanvasStatus::Archived => Err(EngineError::WrongStatus {
                action: "edit",
                current: current.status,
            }),
            CanvasStatus::Draft => done(
                self.store
                    .update_canvas(
                        workspace,
                        id,
                        definition,
                        &[CanvasStatus::Draft],
                        vec![],
                        now,
                    )
                    .await?,
                "edit",
            ),
            CanvasStatus::Active | CanvasStatus::Stopped => {
                let history = self.store.steps_with_history(id).await?;
                let review = edit_rules::review(&current.definition, &definition, &history);
                if !review.problems.is_empty() {
                    return Err(EngineError::EditRefused(review.problems));
                }
                let problems = all_problems(checks, workspace, &definition).await;
                if !problems.is_empty() {
                    return Err(EngineError::Invalid(problems));
                }
                let allowed = [CanvasStatus::Active, CanvasStatus::Stopped];
                let change = self
                    .store
                    .update_canvas(
                        workspace,
                        id,
                        definition,
                        &allowed,
                        review.must_be_unused,
                        now,
                    )
                    .await?;
                done(change, "edit")
            }
        }
    }

    /// A new draft with the same steps, named "… (copy)". New audiences are not shared: the
    /// copy must create its own.
    pub async fn duplicate_canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
    ) -> Result<CanvasRecord, EngineError> {
        let original = self.canvas(workspace, id).await?;
        let mut definition = original.definition;
        definition.name = format!("{} (copy)", definition.name);
        for step in &mut definition.steps {
            if let StepKind::AudienceSync(sync) = &mut step.kind
                && let Some(AudienceRef::New { created, .. }) = &mut sync.audience
            {
                *created = None;
            }
        }
        self.create_canvas(workspace, definition).await
    }

    /// Runs every validation and, when there is no problem, makes the Canvas active (from
    /// `draft`, or from `stopped` to resume it). Nothing changes on failure.
    pub async fn launch(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        checks: &dyn LaunchChecks,
    ) -> Result<CanvasRecord, EngineError> {
        let current = self.canvas(workspace, id).await?;
        let launchable = [CanvasStatus::Draft, CanvasStatus::Stopped];
        if !launchable.contains(&current.status) {
            return Err(EngineError::WrongStatus {
                action: "launch",
                current: current.status,
            });
        }
        let problems = all_problems(checks, workspace, &current.definition).await;
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        let change = self
            .store
            .set_canvas_status(workspace, id, &launchable, CanvasStatus::Active, self.now())
            .await?;
        done(change, "launch")
    }

    /// Stops entries and step moves; users keep their state and pending syncs complete.
    pub async fn stop(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
    ) -> Result<CanvasRecord, EngineError> {
        self.transition(
            workspace,
            id,
            &[CanvasStatus::Active],
            CanvasStatus::Stopped,
            "stop",
        )
        .await
    }

    /// Archives the Canvas: hidden from lists, read-only, no entries.
    pub async fn archive(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
    ) -> Result<CanvasRecord, EngineError> {
        let from = [
            CanvasStatus::Draft,
            CanvasStatus::Active,
            CanvasStatus::Stopped,
        ];
        self.transition(workspace, id, &from, CanvasStatus::Archived, "archive")
            .await
    }

    async fn transition(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        from: &[CanvasStatus],
        to: CanvasStatus,
        action: &'static str,
    ) -> Result<CanvasRecord, EngineError> {
        self.canvas(workspace, id).await?;
        let change = self
            .store
            .set_canvas_status(workspace, id, from, to, self.now())
            .await?;
        done(change, action)
    }
}
