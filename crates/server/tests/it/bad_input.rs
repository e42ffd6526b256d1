//! The bad-input suite: oversized bodies, malformed JSON/NDJSON/CSV, and hostile names and
//! identifiers (very long, empty, non-UTF-8, emoji, HTML- and SQL-looking), sent through real
//! HTTP. Each answer must be a 4xx that says what is wrong, never a 5xx, and whatever is
//! stored must read back exactly as sent.

mod limits;
mod malformed;
mod names;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestApp;

/// Sends `body` with `method` to `/api/v1{path}`; returns the status and the JSON answer
/// (`Null` when the answer is not JSON).
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(&app.api_key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    send(app, Method::GET, path, "application/json", Vec::<u8>::new()).await
}

/// A Canvas that passes validation: one Audience Sync step adding to an existing audience.
fn one_step_canvas(name: &str, step_name: &str) -> Value {
    json!({
        "name": name,
        "entry_step_id": "sync",
        "reentry": "never",
        "steps": [{
            "id": "sync", "name": step_name, "type": "audience_sync",
            "partner": "pinterest", "ad_account_id": "549770573673",
            "audience": {"existing": {"audience_id": "2542623499806"}},
            "action": "add", "match_fields": ["email"], "next": null
        }]
    })
}

/// Creates a draft Canvas; returns its id.
async fn create_canvas(app: &TestApp, definition: &Value) -> String {
    let (status, body) = send(
        app,
        Method::POST,
        "/canvases",
        "application/json",
        definition.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Creates and launches a valid Canvas, ready for entries; returns its id.
async fn active_canvas(app: &TestApp) -> String {
    let id = create_canvas(app, &one_step_canvas("Bad input", "Sync")).await;
    let launch = format!("/canvases/{id}/launch");
    let (status, body) = send(app, Method::POST, &launch, "application/json", "{}").await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Percent-encodes every byte outside `[A-Za-z0-9_.~-]`, for a path segment.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'~' | b'-' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
