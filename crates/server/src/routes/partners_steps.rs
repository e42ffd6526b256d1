//! `POST /api/v1/canvases/{id}/steps/{step_id}/audience`: creates the `new` audience of an
//! Audience Sync step on Pinterest ([`create_step_audience`], shared with the dashboard) and
//! records its ids in the step, through the engine.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use pinsync_core::canvas::StepId;
use serde_json::{Value, json};

use super::canvases::parse_canvas_id;
use super::partners::{api_error, service};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::CallerWorkspace;
use crate::pinterest::{StepAudience, StepAudienceError, create_step_audience};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/canvases/{id}/steps/{step_id}/audience",
        post(create_audience),
    )
}

async fn create_audience(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path((id, step_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let service = service(&state)?;
    let canvas_id = parse_canvas_id(&id)?;
    let record = state.engine.canvas(workspace, canvas_id).await?;
    let mut definition = record.definition.clone();
    let step = StepId::new(step_id.as_str());
    let outcome = create_step_audience(service, workspace, &mut definition, &step)
        .await
        .map_err(|error| step_audience_error(error, &id))?;
    let (audience_id, customer_list_id) = match outcome {
        StepAudience::AlreadyCreated {
            audience_id,
            customer_list_id,
            ..
        } => {
            let body = json!({ "status": "created", "audience_id": audience_id, "customer_list_id": customer_list_id, "canvas_id": id, "step_id": step_id });
            return Ok((StatusCode::OK, Json(body)));
        }
        StepAudience::PendingCreation { pending_id, name } => {
            let body =
                json!({ "status": "pending_creation", "pending_id": pending_id, "name": name });
            return Ok((StatusCode::ACCEPTED, Json(body)));
        }
        StepAudience::Created {
            audience_id,
            customer_list_id,
            ..
        } => (audience_id, customer_list_id),
    };
    let updated = state
        .engine
        .update_canvas(
            workspace,
            canvas_id,
            definition,
            state.launch_checks.as_ref(),
        )
        .await?;
    let body = json!({
        "status": "created",
        "audience_id": audience_id,
        "customer_list_id": customer_list_id,
        "canvas_id": id,
        "step_id": step_id,
        "definition": updated.definition,
    });
    Ok((StatusCode::CREATED, Json(body)))
}

fn step_audience_error(error: StepAudienceError, canvas: &str) -> ApiError {
    match error {
        StepAudienceError::StepNotFound(step) => {
            ApiError::not_found(format!("step {step} not found in canvas {canvas}"))
        }
        StepAudienceError::NotAudienceSync(step) => ApiError::unprocessable(
            "not_an_audience_sync_step",
            format!("step {step} is not an Audience Sync step"),
        ),
        StepAudienceError::NotNewAudience(step) => ApiError::unprocessable(
            "not_a_new_audience",
            format!(
                "step {step} does not ask for a new audience (its audience must be {{\"new\": {{\"name\": …}}}})"
            ),
        ),
        StepAudienceError::NoAdAccount(step) => ApiError::unprocessable(
            "ad_account_missing",
            format!("step {step} has no ad_account_id: set the step's ad account first"),
        ),
        StepAudienceError::Connect(error) => api_error(error),
    }
}
