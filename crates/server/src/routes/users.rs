//! `POST /api/v1/users/track` (upsert users; a user whose `ad_tracking_enabled` is set to
//! false has their identifiers removed from every audience they were added to, through the
//! sync pipeline) and `GET /api/v1/users/{external_id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use pinsync_store::{FieldUpdate, StoredIdentifier, UserProfile, WorkspaceId};
use serde_json::{Value, json};

use super::users_track::{TrackRequest, parse_track_request};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{CallerWorkspace, JsonBody};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/users/track", post(track))
        .route("/users/{external_id}", get(profile))
}

async fn track(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    JsonBody(request): JsonBody<TrackRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let parsed = parse_track_request(request, state.settings.max_users_per_track)?;
    let processed = parsed.users.len();
    let revoked: Vec<String> = parsed
        .users
        .iter()
        .filter(|user| user.ad_tracking_enabled == FieldUpdate::Set(false))
        .map(|user| user.external_id.clone())
        .collect();
    let summary = state.store.upsert_users(workspace, parsed.users).await?;
    metrics::counter!(pinsync_core::metrics::USERS_TRACKED_TOTAL).increment(processed as u64);
    let consent_removals_queued = queue_consent_removals(&state, workspace, revoked).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message": "success",
            "attributes_processed": processed,
            "users_created": summary.created,
            "users_updated": summary.updated,
            "consent_removals_queued": consent_removals_queued,
            "warnings": parsed.warnings,
        })),
    ))
}

/// Queues the consent removals of `revoked` (users whose `ad_tracking_enabled` a call set to
/// false). Called after the commit, so the removal sees the stored consent; queuing is
/// idempotent: a repeated call (e.g. a client retrying after a failure here) queues nothing
/// twice. Answers how many removals were queued.
pub(crate) async fn queue_consent_removals(
    state: &AppState,
    workspace: WorkspaceId,
    revoked: Vec<String>,
) -> Result<u64, ApiError> {
    match (&state.pipeline, revoked.is_empty()) {
        (Some(pipeline), false) => pipeline
            .revoke_consent(workspace, revoked)
            .await
            .map_err(|pinsync_pipeline::PipelineError::Store(error)| ApiError::from(error)),
        _ => Ok(0),
    }
}

async fn profile(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(external_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = state
        .store
        .user(workspace, &external_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no user with this external_id in this workspace"))?;
    Ok(Json(profile_json(&user)))
}

/// The public form of a profile: for each identifier only whether it is usable and why not.
fn profile_json(user: &UserProfile) -> Value {
    json!({
        "external_id": user.external_id,
        "identifiers": {
            "email": identifier_json(&user.email),
            "gaid": identifier_json(&user.gaid),
            "idfa": identifier_json(&user.idfa),
        },
        "ad_tracking_enabled": user.ad_tracking_enabled,
        "attributes": user.attributes,
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
    })
}

fn identifier_json(identifier: &StoredIdentifier) -> Value {
    let valid = identifier.sha256.is_some();
    json!({
        "present": identifier.status != "missing",
        "valid": valid,
        "reason": if valid { Value::Null } else { Value::String(identifier.status.clone()) },
    })
}

fn rfc3339(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
