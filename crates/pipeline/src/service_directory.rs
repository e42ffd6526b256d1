//! [`ServiceDirectory`]: the [`ConnectionDirectory`] of `pinsync serve`, backed by the
//! connection service (its stored statuses, its one limiter per connection, its events).
//!
//! A connection is a workspace's Pinterest token, so its key is the workspace. An
//! `invalid_token` connection or an `access_lost` ad account answers `Paused`; once the user
//! reconnects, the status is `connected` again and the paused work resumes by itself.

use std::sync::Arc;

use async_trait::async_trait;
use pinsync_connect::{ConnectError, ConnectionService};
use pinsync_core::reason::ReasonCode;
use pinsync_pinterest::PinterestError;
use pinsync_store::WorkspaceId;
use serde_json::json;

use crate::directory::{ConnectionDirectory, ConnectionEvent, ConnectionKey, ConnectionState};

/// Connections from the [`ConnectionService`].
#[derive(Clone)]
pub struct ServiceDirectory {
    service: Arc<ConnectionService>,
}

impl ServiceDirectory {
    pub fn new(service: Arc<ConnectionService>) -> Self {
        Self { service }
    }
}

fn key_of(workspace: WorkspaceId) -> ConnectionKey {
    ConnectionKey(format!("workspace-{}", workspace.0))
}

fn workspace_of(key: &ConnectionKey) -> Option<WorkspaceId> {
    key.0
        .strip_prefix("workspace-")
        .and_then(|id| id.parse().ok())
        .map(WorkspaceId)
}

#[async_trait]
impl ConnectionDirectory for ServiceDirectory {
    async fn connection_for(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
    ) -> Option<(ConnectionKey, ConnectionState)> {
        let key = key_of(workspace);
        let client = match self.service.connection_client(workspace).await {
            Ok(client) => client,
            Err(ConnectError::InvalidToken) => {
                return Some((key, ConnectionState::Paused(ReasonCode::InvalidToken)));
            }
            Err(error) => {
                tracing::debug!(workspace = workspace.0, %error, "no usable pinterest connection");
                return None;
            }
        };
        let lost = match self.service.view(workspace).await {
            Ok(view) => view
                .ad_accounts
                .iter()
                .any(|account| account.id == ad_account_id && account.status == "access_lost"),
            Err(_) => false,
        };
        let state = if lost {
            ConnectionState::Paused(ReasonCode::AccessLost)
        } else {
            ConnectionState::Ready(client)
        };
        Some((key, state))
    }

    async fn report(&self, event: ConnectionEvent) {
        let message = "reported by the sync pipeline".to_owned();
        match event {
            ConnectionEvent::InvalidToken { connection } => {
                if let Some(workspace) = workspace_of(&connection) {
                    let error = PinterestError::InvalidToken { rid: None, message };
                    self.service.note_error(workspace, None, error).await;
                }
            }
            ConnectionEvent::AccessLost {
                connection,
                ad_account_id,
            } => {
                if let Some(workspace) = workspace_of(&connection) {
                    let error = PinterestError::AccessLost { rid: None, message };
                    self.service
                        .note_error(workspace, Some(&ad_account_id), error)
                        .await;
                }
            }
            ConnectionEvent::AudienceDeleted {
                connection,
                canvas_id,
                step_id,
                audience_id,
            } => {
                let Some(workspace) = workspace_of(&connection) else {
                    return;
                };
                let payload = json!({
                    "canvas_id": canvas_id,
                    "step_id": step_id,
                    "audience_id": audience_id,
                    "reason": ReasonCode::AudienceDeleted.as_str(),
                });
                if let Err(error) = self
                    .service
                    .notifier()
                    .record(workspace, "audience.deleted", payload)
                    .await
                {
                    tracing::error!(%error, "cannot record the audience-deleted event");
                }
            }
        }
    }
}
