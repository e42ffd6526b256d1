//! The connection errors a launched Canvas shows: when the Pinterest connection its Audience
//! Sync steps use is invalid, disconnected, or lost access to a step's ad account, every active
//! (or stopped) Canvas says so, with what to do. Read from the stored connection only — no call
//! to Pinterest — so reading a Canvas stays cheap.

use pinsync_connect::{ConnectionService, ConnectionStatus, ConnectionView};
use pinsync_core::canvas::CanvasDefinition;
use pinsync_store::{CanvasRecord, CanvasStatus, WorkspaceId};
use serde_json::{Value, json};

use crate::error::ApiError;

/// The connection errors of `record`, as JSON objects `{step_id, code, message}`; empty for a
/// draft or archived Canvas, or one without Audience Sync steps.
pub async fn canvas_connection_errors(
    service: Option<&ConnectionService>,
    workspace: WorkspaceId,
    record: &CanvasRecord,
) -> Result<Vec<Value>, ApiError> {
    let launched = matches!(record.status, CanvasStatus::Active | CanvasStatus::Stopped);
    if !launched || record.definition.audience_sync_steps().next().is_none() {
        return Ok(Vec::new());
    }
    let Some(service) = service else {
        return Ok(Vec::new());
    };
    let view = service.view(workspace).await.map_err(|error| {
        tracing::error!(%error, "cannot read the Pinterest connection");
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the Pinterest connection could not be read",
        )
    })?;
    Ok(errors_for(&record.definition, &view))
}

fn errors_for(definition: &CanvasDefinition, view: &ConnectionView) -> Vec<Value> {
    match view.status {
        ConnectionStatus::InvalidToken => {
            return vec![
                json!({"step_id": null, "code": "invalid_token", "message": view.message}),
            ];
        }
        ConnectionStatus::Disconnected => {
            return vec![
                json!({"step_id": null, "code": "connection_missing", "message": view.message}),
            ];
        }
        ConnectionStatus::Connected | ConnectionStatus::ExpiringSoon => {}
    }
    let mut errors = Vec::new();
    for (step, sync) in definition.audience_sync_steps() {
        let account = view.ad_accounts.iter().find(|a| a.id == sync.ad_account_id);
        match account {
            Some(account) if account.selected && account.status == "access_lost" => {
                errors.push(json!({
                    "step_id": step.id.as_str(),
                    "code": "access_lost",
                    "message": account.message.unwrap_or(view.message),
                }));
            }
            Some(account) if account.selected => {}
            _ => errors.push(json!({
                "step_id": step.id.as_str(),
                "code": "ad_account_not_selected",
                "message": format!(
                    "ad account {} is not selected for syncing: select it on the Pinterest connection (PUT /api/v1/partners/pinterest/ad_accounts)",
                    sync.ad_account_id
                ),
            })),
        }
    }
    errors
}
