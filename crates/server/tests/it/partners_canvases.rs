//! The connection's launch checks on Canvases, creating a step's audience, and a whole
//! connection dance whose logs are captured and searched for tokens.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::partners_support::{
    ALICE, ALICE_MAIN_ACCOUNT, ALICE_SECOND_ACCOUNT, AppOptions, PinterestApp, spawn_pinterest_app,
    spawn_pinterest_app_with,
};

fn canvas(account: &str) -> Value {
    json!({
        "name": "VIP retargeting",
        "entry_step_id": "add_vip",
        "steps": [
            {"id": "add_vip", "name": "Add VIPs", "type": "audience_sync",
             "partner": "pinterest", "ad_account_id": account,
             "audience": {"new": {"name": "VIP buyers"}},
             "action": "add", "match_fields": ["email"], "next": null}
        ]
    })
}

async fn create_canvas(app: &PinterestApp, definition: Value) -> String {
    let response = app
        .send_json(reqwest::Method::POST, "/api/v1/canvases", definition)
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn launch_problems(app: &PinterestApp, id: &str) -> Vec<String> {
    let response = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/canvases/{id}/launch"),
            json!({}),
        )
        .await;
    if response.status().is_success() {
        return Vec::new();
    }
    let body: Value = response.json().await.unwrap();
    body["details"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_canvas_cannot_launch_without_a_connection() {
    let app = spawn_pinterest_app().await;
    let id = create_canvas(&app, canvas(ALICE_MAIN_ACCOUNT)).await;

    assert_eq!(launch_problems(&app, &id).await, ["connection_missing"]);
}

#[tokio::test]
async fn a_canvas_launches_once_its_account_is_selected_and_its_audience_created() {
    let mut sandbox = pinsync_sandbox::SandboxConfig::default();
    sandbox.customer_lists.allow_empty_create = true;
    let app = spawn_pinterest_app_with(AppOptions {
        sandbox,
        ..AppOptions::default()
    })
    .await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let unselected = create_canvas(&app, canvas(ALICE_SECOND_ACCOUNT)).await;
    assert_eq!(
        launch_problems(&app, &unselected).await,
        ["ad_account_unreachable"]
    );
    let id = create_canvas(&app, canvas(ALICE_MAIN_ACCOUNT)).await;
    assert_eq!(launch_problems(&app, &id).await, ["audience_not_created"]);

    let response = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/canvases/{id}/steps/add_vip/audience"),
            json!({}),
        )
        .await;

    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let canvas: Value = app
        .get(&format!("/api/v1/canvases/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let created = &canvas["definition"]["steps"][0]["audience"]["new"]["created"];
    assert!(created["audience_id"].is_string(), "{canvas}");
    assert!(created["customer_list_id"].is_string());
    assert_eq!(launch_problems(&app, &id).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_canvas_cannot_launch_when_the_account_access_was_lost() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let mut definition = canvas(ALICE_MAIN_ACCOUNT);
    definition["steps"][0]["audience"] = json!({"existing": {"audience_id": "123456"}});
    let id = create_canvas(&app, definition).await;
    assert_eq!(launch_problems(&app, &id).await, ["audience_not_found"]);

    app.sandbox
        .sandbox
        .set_role(ALICE_MAIN_ACCOUNT, ALICE, None)
        .unwrap();

    assert_eq!(launch_problems(&app, &id).await, ["ad_account_unreachable"]);
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_logs_of_a_whole_connection_dance_contain_no_token() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The test runtime has one thread: the server and sandbox tasks log into this default.
    let _guard = tracing::subscriber::set_default(subscriber);
    // Callsites first hit by tests on other threads may have cached "no interest".
    tracing::callsite::rebuild_interest_cache();
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let (first_access, first_refresh) = app.stored_tokens().await;
    app.sandbox
        .sandbox
        .expire_token(first_access.as_deref().unwrap())
        .unwrap();
    app.client
        .post(app.url("/api/v1/partners/pinterest/check"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    let (access, refresh) = app.stored_tokens().await;
    app.client
        .delete(app.url("/api/v1/partners/pinterest"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("pinterest connected"),
        "the capture works: {}",
        &text[..text.len().min(3000)]
    );
    assert!(text.contains("pinterest tokens refreshed"));
    for token in [first_access, first_refresh, access, refresh]
        .into_iter()
        .flatten()
    {
        assert!(!text.contains(&token), "a token reached the logs");
    }
    assert!(!text.contains(&app.sandbox.sandbox.seed().app.client_secret));
}
