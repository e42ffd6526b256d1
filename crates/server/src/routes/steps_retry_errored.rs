//! `POST /api/v1/canvases/{id}/steps/{step_id}/retry_errored`: once the cause is fixed
//! (reconnected, audience recreated, access restored), requeues an Audience Sync step's
//! errored users through the sync pipeline `serve` runs (`Pipeline::retry_errored`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use pinsync_core::canvas::StepId;
use pinsync_pipeline::{PipelineError, RetryErroredError, TargetError};
use serde_json::{Value, json};

use super::canvases::parse_canvas_id;
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::CallerWorkspace;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/canvases/{id}/steps/{step_id}/retry_errored",
        post(retry_errored),
    )
}

async fn retry_errored(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path((id, step_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let canvas_id = parse_canvas_id(&id)?;
    let record = state.engine.canvas(workspace, canvas_id).await?;
    let step_id = StepId::new(step_id.as_str());
    let step = record
        .definition
        .step(&step_id)
        .ok_or_else(|| step_not_found(&step_id, &id))?;
    if step.as_audience_sync().is_none() {
        return Err(not_audience_sync(&step_id));
    }
    let Some(pipeline) = &state.pipeline else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pipeline_unavailable",
            "this pinsync runs without a Pinterest integration, so there is no sync pipeline to requeue users through",
        ));
    };
    let requeued = pipeline
        .retry_errored(workspace, canvas_id, &step_id)
        .await
        .map_err(|error| match error {
            RetryErroredError::CanvasNotFound(_) => {
                let mut error =
                    ApiError::not_found(format!("no canvas with id {id} in this workspace"));
                error.code = "canvas_not_found";
                error
            }
            RetryErroredError::Target(TargetError::NotAudienceSync(step_id)) => {
                not_audience_sync(&step_id)
            }
            RetryErroredError::Target(other) => ApiError::internal(&other),
            RetryErroredError::Pipeline(PipelineError::Store(error)) => error.into(),
        })?;
    Ok(Json(json!({ "requeued": requeued })))
}

fn step_not_found(step_id: &StepId, canvas: &str) -> ApiError {
    let mut error = ApiError::not_found(format!(
        "step {} not found in canvas {canvas}",
        step_id.as_str()
    ));
    error.code = "step_not_found";
    error
}

fn not_audience_sync(step_id: &StepId) -> ApiError {
    ApiError::unprocessable(
        "not_an_audience_sync_step",
        format!(
            "step {} is not an Audience Sync step: only those have errored users to retry",
            step_id.as_str()
        ),
    )
}
