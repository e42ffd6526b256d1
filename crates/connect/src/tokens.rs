//! Tokens of a stored connection: the [`StoredTokenProvider`] that decrypts them for calls
//! and refreshes them (rotated refresh token stored in the same transaction as the new
//! access token), proactive refresh of due connections, and reacting to token and access
//! errors by changing statuses and recording events.

use async_trait::async_trait;
use pinsync_pinterest::{AccessToken, PinterestError, TokenProvider, TokenSet};
use pinsync_store::{StoredConnection, StoredConnectionStatus, WorkspaceId};
use serde_json::json;

use crate::error::ConnectError;
use crate::service::ConnectionService;
use crate::status::{
    EXPIRING_SOON_MS, MESSAGE_ACCESS_LOST, MESSAGE_EXPIRING_SOON, MESSAGE_INVALID_TOKEN,
};

/// How long a claimed proactive refresh is leased before another worker may retry it.
const REFRESH_LEASE_MS: i64 = 5 * 60 * 1000;

/// The associated data binding an encrypted token to its workspace's connection and field.
pub fn token_context(workspace: WorkspaceId, field: &str) -> String {
    format!("pinterest_connection:{}:{field}", workspace.0)
}

/// Tokens that never change (used during the callback, before anything is stored).
pub(crate) struct StaticTokens(pub TokenSet);

#[async_trait]
impl TokenProvider for StaticTokens {
    async fn access_token(&self) -> Result<AccessToken, PinterestError> {
        Ok(self.0.access_token.clone())
    }

    async fn refresh(&self, _rejected: &AccessToken) -> Result<AccessToken, PinterestError> {
        Err(PinterestError::InvalidToken {
            rid: None,
            message: "the freshly granted access token was rejected".into(),
        })
    }
}

/// Reads the connection's tokens from the store on each call and refreshes through Pinterest.
pub(crate) struct StoredTokenProvider {
    service: ServiceParts,
    workspace: WorkspaceId,
}

/// The parts of the service a provider needs (the service itself is not `Clone`).
#[derive(Clone)]
struct ServiceParts {
    store: std::sync::Arc<dyn pinsync_store::Store>,
    cipher: crate::cipher::TokenCipher,
    client: pinsync_pinterest::PinterestClient,
    notifier: crate::notify::Notifier,
}

impl StoredTokenProvider {
    pub(crate) fn new(service: &ConnectionService, workspace: WorkspaceId) -> Self {
        Self {
            service: ServiceParts {
                store: service.store.clone(),
                cipher: service.cipher.clone(),
                client: service.client.clone(),
                notifier: service.notifier.clone(),
            },
            workspace,
        }
    }

    async fn stored(&self) -> Result<StoredConnection, PinterestError> {
        let connection = self
            .service
            .store
            .connection(self.workspace)
            .await
            .map_err(|e| transient(&e.to_string()))?;
        connection
            .filter(|c| c.status == StoredConnectionStatus::Connected)
            .ok_or_else(|| PinterestError::InvalidToken {
                rid: None,
                message: "the connection has no valid token; reconnect Pinterest".into(),
            })
    }

    fn decrypt_access(&self, connection: &StoredConnection) -> Result<AccessToken, PinterestError> {
        let stored = connection
            .access_token
            .as_ref()
            .ok_or_else(|| transient("the connection has no access token"))?;
        self.service
            .cipher
            .decrypt(stored, &token_context(self.workspace, "access_token"))
            .map(AccessToken::new)
            .map_err(|e| transient(&e.to_string()))
    }
}

fn transient(message: &str) -> PinterestError {
    PinterestError::Transient {
        rid: None,
        message: message.to_owned(),
    }
}

#[async_trait]
impl TokenProvider for StoredTokenProvider {
    async fn access_token(&self) -> Result<AccessToken, PinterestError> {
        let connection = self.stored().await?;
        self.decrypt_access(&connection)
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, PinterestError> {
        let connection = self.stored().await?;
        let current = self.decrypt_access(&connection)?;
        if current != *rejected {
            return Ok(current);
        }
        match refresh_stored(
            &self.service.store,
            &self.service.cipher,
            &self.service.client,
            &self.service.notifier,
            &connection,
        )
        .await
        {
            Ok(Some(token)) => Ok(token),
            Ok(None) => self.access_token().await,
            Err(error) => Err(error),
        }
    }
}

/// Refreshes one stored connection. `Ok(None)`: another worker refreshed it first.
async fn refresh_stored(
    store: &std::sync::Arc<dyn pinsync_store::Store>,
    cipher: &crate::cipher::TokenCipher,
    client: &pinsync_pinterest::PinterestClient,
    notifier: &crate::notify::Notifier,
    connection: &StoredConnection,
) -> Result<Option<AccessToken>, PinterestError> {
    let workspace = connection.workspace_id;
    let Some(stored_refresh) = &connection.refresh_token else {
        mark_invalid_token(store, notifier, workspace).await;
        return Err(PinterestError::InvalidToken {
            rid: None,
            message: "no refresh token".into(),
        });
    };
    let refresh = cipher
        .decrypt(stored_refresh, &token_context(workspace, "refresh_token"))
        .map(pinsync_pinterest::RefreshToken::new)
        .map_err(|e| transient(&e.to_string()))?;
    let granted = match client.refresh_access_token(&refresh).await {
        Ok(response) => response.value,
        Err(error @ (PinterestError::Transient { .. } | PinterestError::RateLimited { .. })) => {
            return Err(error);
        }
        Err(error) => {
            tracing::warn!(
                workspace = workspace.0,
                kind = error.kind(),
                rid = error.request_id(),
                "pinterest refused the refresh token"
            );
            mark_invalid_token(store, notifier, workspace).await;
            return Err(PinterestError::InvalidToken {
                rid: error.request_id().map(str::to_owned),
                message: format!("refreshing failed: {}", error.message()),
            });
        }
    };
    let now = pinsync_store::now_millis();
    let lifetime_ms = (granted.expires_in as i64).saturating_mul(1000);
    let tokens = pinsync_store::EncryptedTokens {
        access_token: cipher.encrypt(
            granted.access_token.expose(),
            &token_context(workspace, "access_token"),
        ),
        refresh_token: granted
            .refresh_token
            .as_ref()
            .map(|t| cipher.encrypt(t.expose(), &token_context(workspace, "refresh_token"))),
        access_token_expires_at: now + lifetime_ms,
        refresh_token_expires_at: granted
            .refresh_token_expires_at
            .map(|at| (at as i64).saturating_mul(1000))
            .or_else(|| {
                granted
                    .refresh_token_expires_in
                    .map(|s| now + (s as i64).saturating_mul(1000))
            }),
        next_refresh_at: now + lifetime_ms / 5 * 4,
    };
    let refresh_expires_at = tokens.refresh_token_expires_at;
    let wrote = store
        .replace_tokens(workspace, connection.token_generation, tokens)
        .await
        .map_err(|e| transient(&e.to_string()))?;
    if !wrote {
        return Ok(None);
    }
    tracing::info!(workspace = workspace.0, "pinterest tokens refreshed");
    let was_far = connection
        .refresh_token_expires_at
        .is_none_or(|at| at - now > EXPIRING_SOON_MS);
    if let Some(at) = refresh_expires_at
        && at - now <= EXPIRING_SOON_MS
        && was_far
    {
        let payload = json!({"status": "expiring_soon", "refresh_token_expires_at": at, "message": MESSAGE_EXPIRING_SOON});
        if let Err(error) = notifier
            .record(workspace, "connection.expiring_soon", payload)
            .await
        {
            tracing::error!(error = %error, "cannot record event");
        }
    }
    Ok(Some(granted.access_token))
}

async fn mark_invalid_token(
    store: &std::sync::Arc<dyn pinsync_store::Store>,
    notifier: &crate::notify::Notifier,
    workspace: WorkspaceId,
) {
    match store
        .set_connection_status(workspace, StoredConnectionStatus::InvalidToken)
        .await
    {
        Ok(true) => {
            let payload = json!({"status": "invalid_token", "message": MESSAGE_INVALID_TOKEN});
            if let Err(error) = notifier
                .record(workspace, "connection.invalid_token", payload)
                .await
            {
                tracing::error!(error = %error, "cannot record event");
            }
        }
        Ok(false) => {}
        Err(error) => tracing::error!(error = %error, "cannot mark the connection invalid"),
    }
}

impl ConnectionService {
    /// Refreshes, proactively, every connection whose refresh is due at `now`. Returns how
    /// many were refreshed. Called by the background loop of `pinsync serve`.
    pub async fn refresh_due_connections(&self, now: i64) -> Result<u32, ConnectError> {
        let due = self
            .store
            .claim_due_refreshes(now, now + REFRESH_LEASE_MS, 50)
            .await?;
        let mut refreshed = 0;
        for workspace in due {
            let Some(connection) = self.store.connection(workspace).await? else {
                continue;
            };
            match refresh_stored(
                &self.store,
                &self.cipher,
                &self.client,
                &self.notifier,
                &connection,
            )
            .await
            {
                Ok(_) => refreshed += 1,
                Err(error) => tracing::warn!(
                    workspace = workspace.0,
                    kind = error.kind(),
                    "proactive refresh failed"
                ),
            }
        }
        Ok(refreshed)
    }

    /// Reacts to an error of a call made for `ad_account_id`: an invalid token marks the
    /// connection `invalid_token`, a lost access marks the account `access_lost` (each
    /// recording an event once). Returns the error for the caller to report.
    pub async fn note_error(
        &self,
        workspace: WorkspaceId,
        ad_account_id: Option<&str>,
        error: PinterestError,
    ) -> ConnectError {
        match (&error, ad_account_id) {
            (PinterestError::InvalidToken { .. }, _) => {
                mark_invalid_token(&self.store, &self.notifier, workspace).await;
            }
            (PinterestError::AccessLost { .. }, Some(account)) => {
                self.mark_access_lost(workspace, account).await;
            }
            _ => {}
        }
        ConnectError::Pinterest(error)
    }

    pub(crate) async fn mark_access_lost(&self, workspace: WorkspaceId, ad_account_id: &str) {
        match self
            .store
            .set_ad_account_access_lost(workspace, ad_account_id, true)
            .await
        {
            Ok(true) => {
                let payload = json!({"ad_account_id": ad_account_id, "status": "access_lost", "message": MESSAGE_ACCESS_LOST});
                if let Err(error) = self
                    .notifier
                    .record(workspace, "ad_account.access_lost", payload)
                    .await
                {
                    tracing::error!(error = %error, "cannot record event");
                }
            }
            Ok(false) => {}
            Err(error) => tracing::error!(error = %error, "cannot mark the ad account lost"),
        }
    }

    /// Checks the connection live: the token works (refreshing if needed) and every selected
    /// ad account is reachable. Updates statuses and records events; returns the view.
    pub async fn check(
        &self,
        workspace: WorkspaceId,
    ) -> Result<crate::ConnectionView, ConnectError> {
        if self.require_connection(workspace).await.is_ok() {
            let client = self.connection_client(workspace).await?;
            match client.user_account().await {
                Err(error @ PinterestError::InvalidToken { .. }) => {
                    self.note_error(workspace, None, error).await;
                }
                Err(error) => return Err(ConnectError::Pinterest(error)),
                Ok(_) => {
                    for account in self.store.ad_accounts(workspace).await? {
                        if !account.selected {
                            continue;
                        }
                        match client.get_ad_account(&account.ad_account_id).await {
                            Ok(_) => {
                                self.store
                                    .set_ad_account_access_lost(
                                        workspace,
                                        &account.ad_account_id,
                                        false,
                                    )
                                    .await?;
                            }
                            Err(
                                error @ (PinterestError::AccessLost { .. }
                                | PinterestError::NotFound { .. }),
                            ) => {
                                let _ = error;
                                self.mark_access_lost(workspace, &account.ad_account_id)
                                    .await;
                            }
                            Err(error) => return Err(ConnectError::Pinterest(error)),
                        }
                    }
                }
            }
        }
        self.view(workspace).await
    }
}
