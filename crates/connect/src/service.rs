//! [`ConnectionService`]: the OAuth connect flow, reading, choosing ad accounts and
//! disconnecting; it owns the Pinterest client, the token cipher and the limiter registry.

use std::sync::Arc;

use pinsync_pinterest::models::TokenResponse;
use pinsync_pinterest::{
    ConnectionClient, PinterestClient, PinterestConfig, RateLimitConfig, RateLimiterRegistry,
    RevocableToken, TokenSet,
};
use pinsync_store::{
    EncryptedTokens, NewConnection, OAuthStateOutcome, Store, StoredAdAccount, WorkspaceId,
};
use sha2::{Digest, Sha256};

use crate::audiences::AudienceCache;
use crate::cipher::TokenCipher;
use crate::error::ConnectError;
use crate::notify::Notifier;
use crate::status::{ConnectionStatus, ConnectionView};
use crate::tokens::{StaticTokens, StoredTokenProvider, token_context};

/// The scopes pinsync asks for.
pub const SCOPES: [&str; 3] = ["ads:read", "ads:write", "user_accounts:read"];
/// How long a connection attempt (its `state`) stays valid.
pub const STATE_TTL_MS: i64 = 10 * 60 * 1000;

/// How pinsync reaches Pinterest and as which app.
#[derive(Debug, Clone)]
pub struct PinterestSettings {
    pub client: PinterestConfig,
    /// pinsync's callback URL, registered on the Pinterest app.
    pub redirect_uri: String,
    /// Whether `client` points at pinsync's built-in sandbox.
    pub sandbox: bool,
    pub rate_limits: RateLimitConfig,
}

/// The query of `GET .../callback`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Everything about Pinterest connections; shared (`Arc`) by the API and the workers.
pub struct ConnectionService {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) cipher: TokenCipher,
    pub(crate) client: PinterestClient,
    pub(crate) limiters: RateLimiterRegistry,
    pub(crate) settings: PinterestSettings,
    pub(crate) notifier: Notifier,
    pub(crate) audiences: AudienceCache,
}

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// The limiter key of a workspace's connection (one connection, one token, per workspace).
pub(crate) fn limiter_key(workspace: WorkspaceId) -> String {
    format!("workspace:{}", workspace.0)
}

impl ConnectionService {
    pub fn new(
        store: Arc<dyn Store>,
        cipher: TokenCipher,
        settings: PinterestSettings,
    ) -> Result<Self, String> {
        let client = PinterestClient::new(settings.client.clone()).map_err(|e| e.to_string())?;
        let limiters =
            RateLimiterRegistry::new(settings.rate_limits.clone()).map_err(|e| e.to_string())?;
        Ok(Self {
            notifier: Notifier::new(store.clone(), cipher.clone()),
            store,
            cipher,
            client,
            limiters,
            settings,
            audiences: AudienceCache::default(),
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.settings.sandbox
    }

    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The shared limiter registry (one limiter per connection).
    pub fn limiters(&self) -> &RateLimiterRegistry {
        &self.limiters
    }

    /// Starts a connection: a single-use `state` bound to the workspace, and the URL of
    /// Pinterest's consent page to send the browser to.
    pub async fn begin_connect(&self, workspace: WorkspaceId) -> Result<String, ConnectError> {
        let state = hex::encode(rand::random::<[u8; 32]>());
        let expires_at = pinsync_store::now_millis() + STATE_TTL_MS;
        self.store
            .insert_oauth_state(workspace, &sha256_hex(&state), expires_at)
            .await?;
        let url = self
            .settings
            .client
            .authorize_url(&self.settings.redirect_uri, &SCOPES, &state)
            .map_err(|e| ConnectError::Invalid(format!("bad OAuth authorize URL: {e}")))?;
        Ok(url.to_string())
    }

    /// Finishes a connection from the browser's callback: verifies and consumes `state`,
    /// exchanges the code, fetches the user and their ad accounts, stores tokens encrypted.
    pub async fn complete_callback(
        &self,
        params: CallbackParams,
    ) -> Result<ConnectionView, ConnectError> {
        let state = params.state.as_deref().filter(|s| !s.is_empty());
        let Some(state) = state else {
            return Err(ConnectError::StateMismatch);
        };
        let outcome = self
            .store
            .consume_oauth_state(&sha256_hex(state), pinsync_store::now_millis())
            .await?;
        let workspace = match outcome {
            OAuthStateOutcome::Valid(workspace) => workspace,
            OAuthStateOutcome::AlreadyUsed => return Err(ConnectError::StateReused),
            OAuthStateOutcome::Expired => return Err(ConnectError::StateExpired),
            OAuthStateOutcome::Unknown => return Err(ConnectError::StateMismatch),
        };
        match params.error.as_deref() {
            Some("access_denied") => return Err(ConnectError::AccessDenied),
            Some(other) => return Err(ConnectError::OAuthError(other.to_owned())),
            None => {}
        }
        let code = params
            .code
            .filter(|c| !c.is_empty())
            .ok_or(ConnectError::MissingCode)?;
        let granted = self
            .client
            .exchange_code(&code, &self.settings.redirect_uri)
            .await?
            .value;
        let connection = self.static_client(workspace, &granted);
        let user = connection.user_account().await?.value;
        let accounts = connection.list_all_ad_accounts(100).await?;
        let new = NewConnection {
            workspace_id: workspace,
            pinterest_user_id: user.id.clone().unwrap_or_else(|| user.username.clone()),
            pinterest_username: user.username.clone(),
            scopes: granted.scope.clone(),
            tokens: self.encrypt_tokens(workspace, &granted, pinsync_store::now_millis()),
            ad_accounts: accounts
                .into_iter()
                .map(|account| StoredAdAccount {
                    ad_account_id: account.id,
                    name: account.name,
                    permissions: account.permissions,
                    selected: false,
                    access_lost: false,
                })
                .collect(),
        };
        self.store.save_connection(new).await?;
        self.audiences.forget_workspace(workspace);
        tracing::info!(workspace = workspace.0, "pinterest connected");
        self.view(workspace).await
    }

    fn static_client(&self, workspace: WorkspaceId, granted: &TokenResponse) -> ConnectionClient {
        let tokens = TokenSet {
            access_token: granted.access_token.clone(),
            refresh_token: None,
        };
        ConnectionClient::new(
            self.client.clone(),
            Arc::new(StaticTokens(tokens)),
            self.limiters.limiter(&limiter_key(workspace)),
        )
    }

    /// Encrypts freshly granted tokens and computes their expiries and next refresh.
    pub(crate) fn encrypt_tokens(
        &self,
        workspace: WorkspaceId,
        granted: &TokenResponse,
        now: i64,
    ) -> EncryptedTokens {
        let lifetime_ms = (granted.expires_in as i64).saturating_mul(1000);
        let refresh_expires_at = granted
            .refresh_token_expires_at
            .map(|at| (at as i64).saturating_mul(1000))
            .or_else(|| {
                granted
                    .refresh_token_expires_in
                    .map(|secs| now + (secs as i64).saturating_mul(1000))
            });
        EncryptedTokens {
            access_token: self.cipher.encrypt(
                granted.access_token.expose(),
                &token_context(workspace, "access_token"),
            ),
            refresh_token: granted.refresh_token.as_ref().map(|token| {
                self.cipher
                    .encrypt(token.expose(), &token_context(workspace, "refresh_token"))
            }),
            access_token_expires_at: now + lifetime_ms,
            refresh_token_expires_at: refresh_expires_at,
            // Refresh proactively once four fifths of the lifetime have passed.
            next_refresh_at: now + lifetime_ms / 5 * 4,
        }
    }

    /// The workspace's connection as the API shows it.
    pub async fn view(&self, workspace: WorkspaceId) -> Result<ConnectionView, ConnectError> {
        let connection = self.store.connection(workspace).await?;
        let accounts = match &connection {
            Some(_) => self.store.ad_accounts(workspace).await?,
            None => Vec::new(),
        };
        Ok(ConnectionView::build(
            self.settings.sandbox,
            connection.as_ref(),
            &accounts,
            pinsync_store::now_millis(),
        ))
    }

    /// Chooses the ad accounts to sync.
    pub async fn select_ad_accounts(
        &self,
        workspace: WorkspaceId,
        ad_account_ids: Vec<String>,
    ) -> Result<ConnectionView, ConnectError> {
        self.require_connection(workspace).await?;
        match self
            .store
            .select_ad_accounts(workspace, ad_account_ids)
            .await
        {
            Err(pinsync_store::StoreError::NotFound(what)) => {
                return Err(ConnectError::UnknownAdAccount(
                    what.trim_start_matches("ad account ").to_owned(),
                ));
            }
            other => other?,
        };
        self.view(workspace).await
    }

    /// Revokes the tokens at Pinterest (best effort) and destroys them.
    pub async fn disconnect(&self, workspace: WorkspaceId) -> Result<ConnectionView, ConnectError> {
        let connection = self.store.connection(workspace).await?;
        if let Some(stored) = connection.and_then(|c| c.refresh_token) {
            let token = self
                .cipher
                .decrypt(&stored, &token_context(workspace, "refresh_token"))?;
            let revocable = RevocableToken::Refresh(pinsync_pinterest::RefreshToken::new(token));
            if let Err(error) = self.client.revoke(&revocable).await {
                tracing::warn!(
                    workspace = workspace.0,
                    kind = error.kind(),
                    "revoking the refresh token failed"
                );
            }
        }
        self.store.disconnect(workspace).await?;
        self.limiters.forget(&limiter_key(workspace));
        self.audiences.forget_workspace(workspace);
        tracing::info!(workspace = workspace.0, "pinterest disconnected");
        self.view(workspace).await
    }

    /// A client for the workspace's connection, sharing its limiter and refreshing (and
    /// storing rotated tokens) on an invalid token.
    pub async fn connection_client(
        &self,
        workspace: WorkspaceId,
    ) -> Result<ConnectionClient, ConnectError> {
        self.require_connection(workspace).await?;
        let provider = StoredTokenProvider::new(self, workspace);
        Ok(ConnectionClient::new(
            self.client.clone(),
            Arc::new(provider),
            self.limiters.limiter(&limiter_key(workspace)),
        ))
    }

    pub(crate) async fn require_connection(
        &self,
        workspace: WorkspaceId,
    ) -> Result<(), ConnectError> {
        let connection = self.store.connection(workspace).await?;
        match ConnectionStatus::of(connection.as_ref(), pinsync_store::now_millis()) {
            ConnectionStatus::Disconnected => Err(ConnectError::NotConnected),
            ConnectionStatus::InvalidToken => Err(ConnectError::InvalidToken),
            ConnectionStatus::Connected | ConnectionStatus::ExpiringSoon => Ok(()),
        }
    }
}
