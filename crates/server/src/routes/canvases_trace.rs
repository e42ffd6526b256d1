//! "Why this user?" (`GET /canvases/{id}/users/{external_id}`: every entry of the user with
//! its steps, times, and per audience-sync step the outcome, reason, attempts and Pinterest
//! request ids) and the dry run (`POST /canvases/{id}/dry_run`).

use axum::extract::{Path, Request, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use pinsync_core::reason::ReasonCode;
use pinsync_store::VisitRecord;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{iso, parse_canvas_id};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{CallerWorkspace, parse_json, read_body};

/// The most external ids one dry run may name.
const MAX_DRY_RUN_IDS: usize = 10_000;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/canvases/{id}/users/{external_id}", get(user_trace))
        .route("/canvases/{id}/dry_run", post(dry_run))
}

fn visit_json(visit: &VisitRecord, definition: &pinsync_core::canvas::CanvasDefinition) -> Value {
    let step = definition.step(&visit.step_id);
    let sync = visit.outcome.as_ref().map(|outcome| {
        let reason = visit.reason.as_deref();
        json!({
            "outcome": outcome,
            "reason": reason,
            "reason_description": reason.and_then(ReasonCode::parse).map(ReasonCode::description),
            "attempts": visit.attempts,
            "request_ids": visit.request_ids,
        })
    });
    json!({
        "step_id": visit.step_id,
        "name": step.map(|step| step.name.as_str()),
        "type": step.map(|step| step.type_name()),
        "entered_at": iso(visit.entered_at),
        "left_at": visit.left_at.map(iso),
        "exited": visit.exited,
        "sync": sync,
    })
}

async fn user_trace(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path((id, external_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .engine
        .canvas(workspace, parse_canvas_id(&id)?)
        .await?;
    let traces = state.store.journey_traces(record.id, &external_id).await?;
    if traces.is_empty() {
        let mut error = ApiError::not_found(format!(
            "user `{external_id}` never entered canvas {}",
            record.id
        ));
        error.code = "user_not_in_canvas";
        return Err(error);
    }
    let journeys: Vec<Value> = traces
        .iter()
        .map(|trace| {
            json!({
                "entered_at": iso(trace.entered_at),
                "exited_at": trace.exited_at.map(iso),
                "waiting_in": trace.waiting_in,
                "wake_at": trace.wake_at.map(iso),
                "steps": trace.visits.iter().map(|v| visit_json(v, &record.definition)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let consent_revoked = super::super::consent_trace::consent_removals_json(
        &state,
        workspace,
        &record,
        &external_id,
    )
    .await?;
    Ok(Json(json!({
        "canvas_id": record.id.to_string(),
        "external_id": external_id,
        "journeys": journeys,
        "consent_revoked": consent_revoked,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DryRunRequest {
    external_ids: Option<Vec<String>>,
}

async fn dry_run(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let id = parse_canvas_id(&id)?;
    let bytes = read_body(request, &state).await?;
    let external_ids = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        parse_json::<DryRunRequest>(&bytes)?.external_ids
    };
    if external_ids
        .as_ref()
        .is_some_and(|ids| ids.len() > MAX_DRY_RUN_IDS)
    {
        return Err(ApiError::unprocessable(
            "too_many_users",
            format!(
                "a dry run names at most {MAX_DRY_RUN_IDS} users; leave external_ids out to use every user"
            ),
        ));
    }
    let report = state.engine.dry_run(workspace, id, external_ids).await?;
    Ok(Json(
        json!({ "canvas_id": id.to_string(), "dry_run": report }),
    ))
}
