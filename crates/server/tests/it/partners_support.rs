//! `spawn_pinterest_app()`: pinsync's router on 127.0.0.1:0 with a connection service that
//! talks to a real sandbox on 127.0.0.1:0, plus helpers that drive the OAuth dance.

use std::collections::HashMap;
use std::sync::Arc;

use pinsync_connect::{ConnectionService, PinterestSettings, TokenCipher, token_context};
use pinsync_pinterest::{PinterestConfig, RateLimitConfig, Secret};
use pinsync_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use pinsync_server::{AppState, ServerSettings};
use pinsync_store::{SqliteStore, Store, WorkspaceId};
use serde_json::Value;

pub const ALICE: &str = "sandbox-alice";
pub const ALICE_MAIN_ACCOUNT: &str = "549770573673";
pub const ALICE_SECOND_ACCOUNT: &str = "549770573674";

pub struct PinterestApp {
    pub address: String,
    pub store: Arc<dyn Store>,
    pub service: Arc<ConnectionService>,
    pub cipher: TokenCipher,
    pub sandbox: RunningSandbox,
    /// Follows no redirects, so the 302s of the dance can be inspected.
    pub client: reqwest::Client,
    pub api_key: String,
    pub workspace: WorkspaceId,
    pub db_path: std::path::PathBuf,
    /// The sync pipeline in the app's state, when [`AppOptions::clock`] asked for one.
    pub pipeline: Option<pinsync_pipeline::Pipeline>,
    _dir: tempfile::TempDir,
}

/// Options of [`spawn_pinterest_app_with`].
#[derive(Default)]
pub struct AppOptions {
    pub sandbox: SandboxConfig,
    /// Overrides the app secret pinsync sends (to test a wrong one).
    pub client_secret: Option<String>,
    /// Runs the engine and a sync pipeline (over the connection service, in the app's state
    /// as `pinsync serve` has it) on this manual clock.
    pub clock: Option<Arc<pinsync_engine::ManualClock>>,
}

pub async fn spawn_pinterest_app() -> PinterestApp {
    spawn_pinterest_app_with(AppOptions::default()).await
}

pub async fn spawn_pinterest_app_with(options: AppOptions) -> PinterestApp {
    let sandbox = Sandbox::new(options.sandbox).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open_in_dir(dir.path()).unwrap();
    sqlite.migrate().await.unwrap();
    let db_path = sqlite.path().to_path_buf();
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let workspace = store.ensure_workspace("default").await.unwrap().id;
    let key = pinsync_server::api_keys::generate(workspace);
    store.insert_api_key(key.stored).await.unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seed = sandbox.sandbox.seed();
    let secret = options.client_secret.unwrap_or(seed.app.client_secret);
    let mut client = PinterestConfig::new(seed.app.client_id, Secret::new(secret))
        .with_api_base(sandbox.api_url());
    client.oauth_authorize_url = sandbox.oauth_url();
    let settings = PinterestSettings {
        client,
        redirect_uri: format!("{address}/api/v1/partners/pinterest/callback"),
        sandbox: true,
        rate_limits: RateLimitConfig::default(),
    };
    let cipher = TokenCipher::from_key(rand_key());
    let service =
        Arc::new(ConnectionService::new(store.clone(), cipher.clone(), settings).unwrap());
    let checks = Arc::new(pinsync_server::pinterest::PinterestLaunchChecks::new(
        service.clone(),
    ));
    let mut state = AppState::new(store.clone(), ServerSettings::default())
        .with_pinterest(service.clone())
        .with_launch_checks(checks);
    let mut pipeline = None;
    if let Some(clock) = options.clock {
        let engine = pinsync_engine::Engine::new(store.clone(), clock.clone(), Default::default());
        let directory = Arc::new(pinsync_pipeline::ServiceDirectory::new(service.clone()));
        let settings = pinsync_pipeline::PipelineSettings {
            worker_id: "test-worker".into(),
            ..Default::default()
        };
        let sync = pinsync_pipeline::Pipeline::new(store.clone(), directory, clock, settings);
        state = state.with_engine(engine).with_pipeline(sync.clone());
        pipeline = Some(sync);
    }
    tokio::spawn(pinsync_server::serve(
        listener,
        pinsync_server::router(state),
        std::future::pending(),
    ));
    PinterestApp {
        address,
        store,
        service,
        cipher,
        sandbox,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        api_key: key.plaintext,
        workspace,
        db_path,
        pipeline,
        _dir: dir,
    }
}

fn rand_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    key
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

impl PinterestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// `GET .../connect` with the API key: the consent-page URL from `Location`.
    pub async fn start_connect(&self) -> String {
        let response = self.get("/api/v1/partners/pinterest/connect").await;
        assert_eq!(response.status(), 302);
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    /// What the browser does on the consent page: Allow or Deny as `user`. Returns the
    /// callback URL Pinterest redirects to.
    pub async fn consent(&self, authorize_url: &str, user: &str, allow: bool) -> String {
        let query = query_of(authorize_url);
        let user_id = self
            .sandbox
            .sandbox
            .seed()
            .users
            .into_iter()
            .find(|u| u.username == user)
            .unwrap()
            .id;
        let mut form: Vec<(String, String)> = query.into_iter().collect();
        form.push(("user_id".into(), user_id));
        form.push((
            "decision".into(),
            if allow { "allow" } else { "deny" }.into(),
        ));
        let response = self
            .client
            .post(self.sandbox.oauth_url())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_redirection(), "{}", response.status());
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    /// The browser following the redirect back to pinsync (no API key).
    pub async fn follow_callback(&self, callback_url: &str) -> reqwest::Response {
        self.client.get(callback_url).send().await.unwrap()
    }

    /// The whole dance as `user`, then selects `accounts`. Returns the connection JSON.
    pub async fn connect_as(&self, user: &str, accounts: &[&str]) -> Value {
        let authorize = self.start_connect().await;
        let callback = self.consent(&authorize, user, true).await;
        let response = self.follow_callback(&callback).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let response = self
            .send_json(
                reqwest::Method::PUT,
                "/api/v1/partners/pinterest/ad_accounts",
                serde_json::json!({ "ad_account_ids": accounts }),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn connection(&self) -> Value {
        self.get("/api/v1/partners/pinterest")
            .await
            .json()
            .await
            .unwrap()
    }

    /// The stored tokens, decrypted: (access, refresh).
    pub async fn stored_tokens(&self) -> (Option<String>, Option<String>) {
        let stored = self
            .store
            .connection(self.workspace)
            .await
            .unwrap()
            .unwrap();
        let decrypt = |value: Option<pinsync_store::Encrypted>, field: &str| {
            value.map(|v| {
                self.cipher
                    .decrypt(&v, &token_context(self.workspace, field))
                    .unwrap()
            })
        };
        (
            decrypt(stored.access_token, "access_token"),
            decrypt(stored.refresh_token, "refresh_token"),
        )
    }
}
