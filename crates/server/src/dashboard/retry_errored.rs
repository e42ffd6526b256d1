//! The analytics page's "Retry errored users" button: a CSRF-checked POST that requeues an
//! Audience Sync step's errored users through the sync pipeline (`Pipeline::retry_errored`,
//! the API's too), then shows the analytics page with how many were requeued.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::routing::post;
use pinsync_core::canvas::StepId;
use pinsync_pipeline::RetryErroredError;
use serde::Deserialize;

use super::canvases::canvas_id;
use super::error::DashboardError;
use super::session::CsrfForm;
use crate::app::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/canvases/{id}/steps/{step}/retry_errored",
        post(retry_errored),
    )
}

#[derive(Deserialize)]
struct NoFields {}

/// What the analytics page says after the button: `?requeued=N&step=…`, or `?retry=failed`.
async fn retry_errored(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Redirect, DashboardError> {
    let id = canvas_id(&id)?;
    let workspace = signed_in.workspace();
    let definition = state.engine.canvas(workspace, id).await?.definition;
    let step_id = StepId::new(step.as_str());
    if definition
        .step(&step_id)
        .and_then(|s| s.as_audience_sync())
        .is_none()
    {
        return Err(DashboardError::NotFound(format!(
            "This Canvas has no Audience Sync step {step:?}."
        )));
    }
    let analytics = format!("/canvases/{}/analytics", id.0);
    let step_query = serde_urlencoded::to_string([("step", step_id.as_str())]).unwrap_or_default();
    let Some(pipeline) = &state.pipeline else {
        return Ok(Redirect::to(&format!(
            "{analytics}?retry=unavailable&{step_query}"
        )));
    };
    match pipeline.retry_errored(workspace, id, &step_id).await {
        Ok(requeued) => Ok(Redirect::to(&format!(
            "{analytics}?requeued={requeued}&{step_query}"
        ))),
        Err(RetryErroredError::CanvasNotFound(id)) => Err(DashboardError::NotFound(format!(
            "There is no Canvas {id} in this workspace."
        ))),
        Err(error) => {
            tracing::error!(%error, canvas_id = %id, step_id = %step_id, "retry errored users failed");
            Ok(Redirect::to(&format!(
                "{analytics}?retry=failed&{step_query}"
            )))
        }
    }
}
