//! Spawns a sandbox on port 0 and a client connected to it as one seeded user.

use std::sync::Arc;

use pinsync_pinterest::{
    AccessToken, ConnectionClient, OAuthTokenProvider, PinterestClient, PinterestConfig,
    RateLimitConfig, RateLimiter, RefreshToken, Secret, TokenProvider, TokenSet,
};
use pinsync_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

/// Alice owns both of these.
pub const ALICE_MAIN_ACCOUNT: &str = "549770573673";
pub const ALICE: &str = "sandbox-alice";
pub const CAROL: &str = "sandbox-carol";
pub const SYNC_SCOPES: &[&str] = &["ads:read", "ads:write", "user_accounts:read"];

pub struct TestApp {
    pub sandbox: RunningSandbox,
    pub client: PinterestClient,
    pub limiter: Arc<RateLimiter>,
    pub tokens: Arc<OAuthTokenProvider>,
    pub connection: ConnectionClient,
}

impl TestApp {
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox.sandbox
    }

    /// The connection's current access token, as the sandbox knows it.
    pub async fn access_token(&self) -> AccessToken {
        self.tokens.access_token().await.unwrap()
    }
}

/// A client for the sandbox's seeded app.
pub fn client_for(sandbox: &RunningSandbox) -> PinterestClient {
    let app = sandbox.sandbox.seed().app;
    let config = PinterestConfig::new(app.client_id, Secret::new(app.client_secret))
        .with_api_base(sandbox.api_url());
    PinterestClient::new(config).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(
        SandboxConfig::default(),
        RateLimitConfig::default(),
        ALICE,
        SYNC_SCOPES,
    )
    .await
}

pub async fn spawn_app_with(
    sandbox_config: SandboxConfig,
    limits: RateLimitConfig,
    user: &str,
    scopes: &[&str],
) -> TestApp {
    let sandbox = Sandbox::spawn(sandbox_config).await.unwrap();
    let client = client_for(&sandbox);
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let grant = sandbox.sandbox.issue_token(user, &scopes).unwrap();
    let tokens = Arc::new(OAuthTokenProvider::new(
        client.clone(),
        TokenSet {
            access_token: AccessToken::new(grant.access_token),
            refresh_token: Some(RefreshToken::new(grant.refresh_token)),
        },
    ));
    let limiter = Arc::new(RateLimiter::new(&limits).unwrap());
    let connection = ConnectionClient::new(client.clone(), tokens.clone(), limiter.clone());
    TestApp {
        sandbox,
        client,
        limiter,
        tokens,
        connection,
    }
}

/// Requests to `endpoint` answered with `status`, from the sandbox's statistics.
pub fn count(sandbox: &Sandbox, endpoint: &str, status: u16) -> u64 {
    sandbox
        .stats()
        .endpoints
        .iter()
        .filter(|e| e.endpoint == endpoint && e.status == status)
        .map(|e| e.count)
        .sum()
}
