//! `POST /api/v1/canvases/{id}/steps/{step_id}/audience`: creates the `new` audience of an
//! Audience Sync step on Pinterest and records its ids in the step, through the engine.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use pinsync_connect::CreatedAudience;
use pinsync_core::canvas::{AudienceRef, StepKind};
use serde_json::{Value, json};

use super::canvases::parse_canvas_id;
use super::partners::{api_error, service};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::CallerWorkspace;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/canvases/{id}/steps/{step_id}/audience",
        post(create_step_audience),
    )
}

async fn create_step_audience(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path((id, step_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let service = service(&state)?;
    let canvas_id = parse_canvas_id(&id)?;
    let record = state.engine.canvas(workspace, canvas_id).await?;
    let mut definition = record.definition.clone();
    let step = definition
        .steps
        .iter_mut()
        .find(|step| step.id.0 == step_id)
        .ok_or_else(|| ApiError::not_found(format!("step {step_id} not found in canvas {id}")))?;
    let StepKind::AudienceSync(sync) = &mut step.kind else {
        return Err(ApiError::unprocessable(
            "not_an_audience_sync_step",
            format!("step {step_id} is not an Audience Sync step"),
        ));
    };
    let Some(AudienceRef::New { name, created }) = &mut sync.audience else {
        return Err(ApiError::unprocessable(
            "not_a_new_audience",
            format!(
                "step {step_id} does not ask for a new audience (its audience must be {{\"new\": {{\"name\": …}}}})"
            ),
        ));
    };
    if let Some(existing) = created {
        let body = json!({ "status": "created", "audience_id": existing.audience_id, "customer_list_id": existing.customer_list_id, "canvas_id": id, "step_id": step_id });
        return Ok((StatusCode::OK, Json(body)));
    }
    let outcome = service
        .create_audience(workspace, &sync.ad_account_id, name)
        .await
        .map_err(api_error)?;
    let (audience_id, customer_list_id) = match outcome {
        CreatedAudience::Created {
            audience_id,
            customer_list_id,
            ..
        } => (audience_id, customer_list_id),
        CreatedAudience::PendingCreation { pending_id, name } => {
            let body =
                json!({ "status": "pending_creation", "pending_id": pending_id, "name": name });
            return Ok((StatusCode::ACCEPTED, Json(body)));
        }
    };
    *created = Some(pinsync_core::canvas::CreatedAudience {
        audience_id: audience_id.clone(),
        customer_list_id: customer_list_id.clone(),
    });
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
