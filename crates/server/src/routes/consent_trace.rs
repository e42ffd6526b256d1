//! The consent part of a user's trace: the removals queued when the user's
//! `ad_tracking_enabled` turned false, for the audiences a Canvas syncs to, each with its
//! status, attempts and Pinterest request ids (reason `consent_revoked`).

use pinsync_core::canvas::AudienceRef;
use pinsync_core::reason::ReasonCode;
use pinsync_store::{CanvasRecord, WorkspaceId};
use serde_json::{Value, json};

use super::canvases::iso;
use crate::app::AppState;
use crate::error::ApiError;

/// The user's consent removals that concern `record` (queued through one of its steps, or for
/// an audience one of its steps syncs to), oldest first.
pub(crate) async fn consent_removals_json(
    state: &AppState,
    workspace: WorkspaceId,
    record: &CanvasRecord,
    external_id: &str,
) -> Result<Vec<Value>, ApiError> {
    let removals = state
        .store
        .consent_removals_of_user(workspace, external_id)
        .await?;
    let definition = &record.definition;
    let audiences: Vec<String> = definition
        .audience_sync_steps()
        .filter_map(|(_, sync)| match definition.resolve_audience(sync)? {
            AudienceRef::New {
                created: Some(created),
                ..
            } => Some(created.audience_id.clone()),
            AudienceRef::Existing { audience_id } => Some(audience_id.clone()),
            _ => None,
        })
        .collect();
    Ok(removals
        .into_iter()
        .filter(|removal| {
            removal.canvas_id == record.id || audiences.contains(&removal.audience_id)
        })
        .map(|removal| {
            json!({
                "reason": ReasonCode::ConsentRevoked.as_str(),
                "reason_description": ReasonCode::ConsentRevoked.description(),
                "audience_id": removal.audience_id,
                "step_id": removal.step_id,
                "status": removal.status,
                "revoked_at": iso(removal.revoked_at),
                "finished_at": removal.finished_at.map(iso),
                "attempts": removal.attempts,
                "last_failure": removal.reason,
                "records_removed": removal.records,
                "request_ids": removal.request_ids,
            })
        })
        .collect())
}
