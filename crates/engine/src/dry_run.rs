//! The dry run: how many users each step would sync or not (by reason), walking the
//! workspace's users (or a given list) through the Canvas as they are now, writing nothing.
//! Delays are crossed as if they had ended, with today's attributes.

use std::collections::BTreeMap;

use pinsync_core::canvas::{CanvasDefinition, StepId};
use pinsync_store::walk::{VisitKind, WalkUser, walk_from};
use pinsync_store::{CanvasId, UserProfile, WorkspaceId};
use serde::Serialize;

use crate::{Engine, EngineError};

/// Users read per store call while walking the whole workspace.
const PAGE_USERS: u32 = 1_000;

/// What one step would do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DryRunStep {
    pub entered: u64,
    pub would_sync: u64,
    pub not_synced: BTreeMap<String, u64>,
}

/// What the Canvas would do to the users considered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DryRunReport {
    pub users: u64,
    /// Requested external ids with no profile in the workspace.
    pub unknown_users: u64,
    pub steps: BTreeMap<StepId, DryRunStep>,
}

fn walk_user(profile: &UserProfile) -> WalkUser<'_> {
    WalkUser {
        email: &profile.email,
        gaid: &profile.gaid,
        idfa: &profile.idfa,
        ad_tracking_enabled: profile.ad_tracking_enabled,
        attributes: &profile.attributes,
    }
}

/// Adds one user's path through the Canvas to `report`.
pub fn simulate(definition: &CanvasDefinition, profile: &UserProfile, report: &mut DryRunReport) {
    report.users += 1;
    let user = walk_user(profile);
    let mut start = Some(definition.entry_step_id.clone());
    let mut walks = 0;
    while walks <= definition.steps.len() {
        walks += 1;
        let walk = walk_from(definition, start.as_ref(), user);
        for visit in &walk.visits {
            let step = report.steps.entry(visit.step_id.clone()).or_default();
            step.entered += 1;
            match &visit.kind {
                VisitKind::Plain => {}
                VisitKind::SyncQueued { .. } => step.would_sync += 1,
                VisitKind::NotSynced(reason) => {
                    *step
                        .not_synced
                        .entry(reason.as_str().to_owned())
                        .or_default() += 1;
                }
            }
        }
        let Some((delay, _)) = walk.waiting else {
            return;
        };
        start = definition
            .step(&delay)
            .and_then(|step| step.next_for(user.attributes))
            .cloned();
    }
}

impl Engine {
    /// Simulates the Canvas over `external_ids`, or over every user of the workspace.
    pub async fn dry_run(
        &self,
        workspace: WorkspaceId,
        canvas: CanvasId,
        external_ids: Option<Vec<String>>,
    ) -> Result<DryRunReport, EngineError> {
        let record = self.canvas(workspace, canvas).await?;
        let definition = &record.definition;
        let mut report = DryRunReport::default();
        for step in &definition.steps {
            report.steps.insert(step.id.clone(), DryRunStep::default());
        }
        if let Some(ids) = external_ids {
            for id in ids {
                match self.store.user(workspace, &id).await? {
                    Some(profile) => simulate(definition, &profile, &mut report),
                    None => report.unknown_users += 1,
                }
            }
            return Ok(report);
        }
        let mut after = None;
        loop {
            let page = self
                .store
                .users_page(workspace, after.take(), PAGE_USERS)
                .await?;
            for profile in &page {
                simulate(definition, profile, &mut report);
            }
            match page.last() {
                Some(last) if page.len() == PAGE_USERS as usize => {
                    after = Some(last.external_id.clone())
                }
                _ => return Ok(report),
            }
        }
    }
}
