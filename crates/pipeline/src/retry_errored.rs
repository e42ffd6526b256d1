//! `retry_errored`: once the cause is fixed (reconnected, audience recreated), a step's
//! errored users are requeued and go through the pipeline again.

use pinsync_core::canvas::StepId;
use pinsync_store::{CanvasId, WorkspaceId};

use crate::target::TargetError;
use crate::{Pipeline, PipelineError};

/// Why errored users could not be requeued.
#[derive(Debug, thiserror::Error)]
pub enum RetryErroredError {
    #[error("canvas {0} not found")]
    CanvasNotFound(CanvasId),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl Pipeline {
    /// Requeues every errored user of the audience-sync step; returns how many. The step's
    /// cached target and its "audience deleted" mark are dropped, so the next batch reads
    /// the step's definition afresh.
    pub async fn retry_errored(
        &self,
        workspace: WorkspaceId,
        canvas_id: CanvasId,
        step_id: &StepId,
    ) -> Result<u64, RetryErroredError> {
        let store = &self.inner.store;
        let canvas = store
            .canvas(workspace, canvas_id)
            .await
            .map_err(PipelineError::from)?
            .ok_or(RetryErroredError::CanvasNotFound(canvas_id))?;
        let step = canvas
            .definition
            .step(step_id)
            .and_then(|step| step.as_audience_sync())
            .ok_or_else(|| TargetError::NotAudienceSync(step_id.clone()))?;
        let key = (canvas_id, step_id.clone());
        self.inner.deleted.lock().remove(&key);
        self.inner.targets.lock().remove(&key);
        let requeued = store
            .requeue_errored_sync(
                canvas_id,
                step_id,
                step.action,
                step.match_fields.clone(),
                self.now(),
            )
            .await
            .map_err(PipelineError::from)?;
        tracing::info!(canvas_id = %canvas_id, step_id = %step_id, requeued, "errored users requeued");
        Ok(requeued)
    }
}
