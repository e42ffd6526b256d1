//! `spawn_sync_app()`: pinsync on 127.0.0.1:0 with the sandbox, connected as Alice, the
//! engine and the sync pipeline (in the app's state, as `pinsync serve` has it) on a manual
//! clock, and an active Canvas whose step `add` adds to a created audience, then waits in
//! `wait`; plus helpers to enter users, sync, and read the step's metrics.

use std::sync::Arc;
use std::time::Duration;

use pinsync_connect::CreatedAudience;
use pinsync_core::identifier::{IdentifierKind, hash_identifier};
use pinsync_engine::ManualClock;
use pinsync_pipeline::Pipeline;
use pinsync_sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::partners_support::{
    ALICE, ALICE_MAIN_ACCOUNT, AppOptions, PinterestApp, spawn_pinterest_app_with,
};

/// 2026-03-02T00:00:00Z.
const START: i64 = 1_772_409_600_000;

pub struct SyncApp {
    pub app: PinterestApp,
    pub clock: Arc<ManualClock>,
    pub canvas_id: String,
    pub customer_list_id: String,
}

impl SyncApp {
    pub fn pipeline(&self) -> &Pipeline {
        self.app.pipeline.as_ref().unwrap()
    }

    /// Moves past the 5 s flush and runs one pass.
    pub async fn sync(&self) {
        self.clock.advance(Duration::from_secs(5));
        self.pipeline().run_once().await.unwrap();
    }

    pub async fn enter(&self, numbers: std::ops::RangeInclusive<u32>) {
        let recipients: Vec<Value> = numbers
            .map(|n| json!({ "external_user_id": format!("fan-{n}"), "attributes": { "email": email(n) } }))
            .collect();
        let response = self
            .app
            .send_json(
                reqwest::Method::POST,
                "/api/v1/canvas/trigger/send",
                json!({ "canvas_id": self.canvas_id, "recipients": recipients }),
            )
            .await;
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
    }

    /// The one step's metrics from `GET /canvases/{id}/analytics`, checked to add up.
    pub async fn step_metrics(&self) -> Value {
        let response = self
            .app
            .get(&format!("/api/v1/canvases/{}/analytics", self.canvas_id))
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        let step = body["steps"][0].clone();
        let n = |v: &Value| v.as_u64().unwrap();
        assert_eq!(
            n(&step["entered"]),
            n(&step["synced"])
                + n(&step["not_synced"]["total"])
                + n(&step["errored"]["total"])
                + n(&step["pending"]),
            "entered = synced + not_synced + errored + pending: {step}"
        );
        step
    }

    pub async fn retry(&self, canvas: &str, step: &str) -> reqwest::Response {
        self.app
            .send_json(
                reqwest::Method::POST,
                &format!("/api/v1/canvases/{canvas}/steps/{step}/retry_errored"),
                json!({}),
            )
            .await
    }

    pub fn members(&self) -> std::collections::BTreeSet<String> {
        self.app
            .sandbox
            .sandbox
            .list_members(&self.customer_list_id)
            .unwrap_or_default()
    }
}

fn email(n: u32) -> String {
    format!("fan{n}@example.com")
}

pub fn email_hash(n: u32) -> String {
    hash_identifier(IdentifierKind::Email, Some(&email(n)))
        .unwrap()
        .as_str()
        .to_owned()
}

pub fn hashes(numbers: impl IntoIterator<Item = u32>) -> std::collections::BTreeSet<String> {
    numbers.into_iter().map(email_hash).collect()
}

/// Connected as Alice, an active Canvas `add` → the created audience, on a manual clock.
pub async fn spawn_sync_app() -> SyncApp {
    let clock = Arc::new(ManualClock::at(START));
    let mut sandbox = SandboxConfig::default();
    sandbox.customer_lists.allow_empty_create = true;
    let app = spawn_pinterest_app_with(AppOptions {
        sandbox,
        clock: Some(clock.clone()),
        ..AppOptions::default()
    })
    .await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let created = app
        .service
        .create_audience(app.workspace, ALICE_MAIN_ACCOUNT, "Fans")
        .await
        .unwrap();
    let CreatedAudience::Created {
        audience_id,
        customer_list_id,
        ..
    } = created
    else {
        panic!("empty lists are allowed here: {created:?}");
    };
    let definition = json!({
        "name": "Fans",
        "entry_step_id": "add",
        "steps": [
            {"id": "add", "name": "Add fans", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": ALICE_MAIN_ACCOUNT, "action": "add", "match_fields": ["email"],
             "audience": {"new": {"name": "Fans", "created": {"audience_id": audience_id, "customer_list_id": customer_list_id}}},
             "next": "wait"},
            {"id": "wait", "name": "Wait", "type": "delay", "duration_seconds": 60, "next": null}
        ]
    });
    let response = app
        .send_json(reqwest::Method::POST, "/api/v1/canvases", definition)
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let canvas_id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/canvases/{canvas_id}/launch"),
            json!({}),
        )
        .await;
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    SyncApp {
        app,
        clock,
        canvas_id,
        customer_list_id,
    }
}
