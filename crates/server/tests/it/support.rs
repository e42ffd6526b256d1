//! `spawn_app()`: pinsync's router on 127.0.0.1:0 over a fresh store (SQLite, or PostgreSQL
//! with `PINSYNC_TEST_BACKEND=postgres`: see `test_store`).

use std::sync::Arc;

use pinsync_server::{AppState, ServerSettings};
use pinsync_store::{Store, WorkspaceId};

pub struct TestApp {
    pub address: String,
    pub store: Arc<dyn Store>,
    pub client: reqwest::Client,
    /// An API key of the `default` workspace.
    pub api_key: String,
    pub workspace: WorkspaceId,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A new API key for `workspace` (created if needed).
    pub async fn key_for(&self, workspace: &str) -> String {
        let id = self.store.ensure_workspace(workspace).await.unwrap().id;
        let key = pinsync_server::api_keys::generate(id);
        self.store.insert_api_key(key.stored).await.unwrap();
        key.plaintext
    }

    pub async fn post_track(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/users/track"))
            .bearer_auth(&self.api_key)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServerSettings::default()).await
}

pub async fn spawn_app_with(settings: ServerSettings) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::test_store::fresh_store(dir.path()).await;
    let workspace = store.ensure_workspace("default").await.unwrap().id;
    let key = pinsync_server::api_keys::generate(workspace);
    store.insert_api_key(key.stored).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let router = pinsync_server::router(AppState::new(store.clone(), settings));
    tokio::spawn(pinsync_server::serve(
        listener,
        router,
        std::future::pending(),
    ));
    TestApp {
        address,
        store,
        client: reqwest::Client::new(),
        api_key: key.plaintext,
        workspace,
        _dir: dir,
    }
}

/// Reads a JSON error answer and checks its shape: `code` and `message` are always there.
pub async fn error_body(response: reqwest::Response) -> serde_json::Value {
    let body: serde_json::Value = response.json().await.expect("errors are JSON");
    assert!(body["code"].is_string(), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}
