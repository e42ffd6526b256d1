//! Helpers for the Canvas tests: an app whose engine runs on a manual clock, JSON calls, and
//! Canvas definitions.

use std::sync::Arc;
use std::time::Duration;

use pinsync_engine::{Engine, EngineSettings, ManualClock};
use pinsync_server::{AppState, ServerSettings};
use pinsync_store::{Store, WorkspaceId};
use serde_json::{Value, json};

/// 2026-03-02T00:00:00Z, the manual clock's start.
pub const START_MILLIS: i64 = 1_772_409_600_000;

pub struct CanvasApp {
    pub address: String,
    pub store: Arc<dyn Store>,
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    pub api_key: String,
    pub workspace: WorkspaceId,
    _dir: tempfile::TempDir,
}

pub async fn spawn_canvas_app() -> CanvasApp {
    spawn_canvas_app_with(EngineSettings::default()).await
}

pub async fn spawn_canvas_app_with(settings: EngineSettings) -> CanvasApp {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::test_store::fresh_store(dir.path()).await;
    let workspace = store.ensure_workspace("default").await.unwrap().id;
    let key = pinsync_server::api_keys::generate(workspace);
    store.insert_api_key(key.stored).await.unwrap();
    let clock = Arc::new(ManualClock::at(START_MILLIS));
    let engine = Engine::new(store.clone(), clock.clone(), settings);
    let state = AppState::new(store.clone(), ServerSettings::default()).with_engine(engine.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(pinsync_server::serve(
        listener,
        pinsync_server::router(state),
        std::future::pending(),
    ));
    CanvasApp {
        address,
        store,
        engine,
        clock,
        client: reqwest::Client::new(),
        api_key: key.plaintext,
        workspace,
        _dir: dir,
    }
}

impl CanvasApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }

    /// POSTs a JSON body; returns the status and the JSON answer.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.api_key)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .put(self.url(path))
            .bearer_auth(&self.api_key)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a raw body with a content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.api_key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates a Canvas and returns its id.
    pub async fn create(&self, definition: Value) -> String {
        let (status, body) = self.post("/canvases", definition).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Creates and launches a Canvas; returns its id.
    pub async fn launched(&self, definition: Value) -> String {
        let id = self.create(definition).await;
        let (status, body) = self
            .post(&format!("/canvases/{id}/launch"), json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        id
    }

    /// Enters users through `trigger/send`; returns the answer.
    pub async fn trigger(&self, canvas: &str, recipients: Value) -> (u16, Value) {
        self.post(
            "/canvas/trigger/send",
            json!({ "canvas_id": canvas, "recipients": recipients }),
        )
        .await
    }

    /// Moves the clock and runs the delay timer.
    pub async fn advance(&self, by: Duration) -> u64 {
        self.clock.advance(by);
        self.engine.run_due_timers().await.unwrap()
    }

    /// The per-step analytics, by step id.
    pub async fn step(&self, canvas: &str, step: &str) -> Value {
        let (status, body) = self.get(&format!("/canvases/{canvas}/analytics")).await;
        assert_eq!(status, 200, "{body}");
        body["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step_id"] == step)
            .cloned()
            .unwrap_or_else(|| panic!("no step {step} in {body}"))
    }
}

/// An audience-sync step adding to an existing audience.
pub fn sync_step(id: &str, match_fields: Value, next: Option<&str>) -> Value {
    json!({
        "id": id, "name": format!("Sync {id}"), "type": "audience_sync",
        "partner": "pinterest", "ad_account_id": "549770573673",
        "audience": {"existing": {"audience_id": "2542623499806"}},
        "action": "add", "match_fields": match_fields, "next": next
    })
}

pub fn delay_step(id: &str, seconds: u64, next: Option<&str>) -> Value {
    json!({"id": id, "name": format!("Wait {id}"), "type": "delay", "duration_seconds": seconds, "next": next})
}

pub fn split_step(
    id: &str,
    attribute: &str,
    value: Value,
    yes: Option<&str>,
    no: Option<&str>,
) -> Value {
    json!({
        "id": id, "name": format!("Split {id}"), "type": "decision_split",
        "condition": {"attribute": attribute, "op": "equals", "value": value},
        "yes": yes, "no": no
    })
}

pub fn canvas(entry: &str, steps: Vec<Value>) -> Value {
    json!({ "name": "Test canvas", "entry_step_id": entry, "steps": steps })
}

/// Sync → delay 1 day → split on plan=gold → (yes) remove sync / (no) exit.
pub fn retargeting_canvas() -> Value {
    let mut remove = sync_step("remove", json!(["email"]), None);
    remove["action"] = json!("remove");
    remove["audience"] = json!({"step": "add"});
    canvas(
        "add",
        vec![
            sync_step("add", json!(["email", "gaid"]), Some("wait")),
            delay_step("wait", 86_400, Some("gold")),
            split_step("gold", "plan", json!("gold"), Some("remove"), None),
            remove,
        ],
    )
}
