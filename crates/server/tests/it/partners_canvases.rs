//! The connection's launch checks on Canvases, creating a step's audience, and the connection
//! errors a launched Canvas shows. (The log capture of a whole dance is `tests/logs.rs`.)

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

async fn connection_error_codes(app: &PinterestApp, id: &str) -> Vec<String> {
    let canvas: Value = app
        .get(&format!("/api/v1/canvases/{id}"))
        .await
        .json()
        .await
        .unwrap();
    canvas["connection_errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{canvas}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_active_canvas_shows_the_connection_errors_of_its_steps() {
    let mut sandbox = pinsync_sandbox::SandboxConfig::default();
    sandbox.customer_lists.allow_empty_create = true;
    let app = spawn_pinterest_app_with(AppOptions {
        sandbox,
        ..AppOptions::default()
    })
    .await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let id = create_canvas(&app, canvas(ALICE_MAIN_ACCOUNT)).await;
    let response = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/canvases/{id}/steps/add_vip/audience"),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(launch_problems(&app, &id).await, Vec::<String>::new());
    assert_eq!(
        connection_error_codes(&app, &id).await,
        Vec::<String>::new()
    );

    app.sandbox
        .sandbox
        .set_role(ALICE_MAIN_ACCOUNT, ALICE, None)
        .unwrap();
    let checked = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/partners/pinterest/check",
            json!({}),
        )
        .await;
    assert!(checked.status().is_success());
    assert_eq!(connection_error_codes(&app, &id).await, ["access_lost"]);

    let (_, refresh) = app.stored_tokens().await;
    app.sandbox
        .sandbox
        .revoke_token(refresh.as_deref().unwrap())
        .unwrap();
    app.send_json(
        reqwest::Method::POST,
        "/api/v1/partners/pinterest/check",
        json!({}),
    )
    .await;
    assert_eq!(connection_error_codes(&app, &id).await, ["invalid_token"]);
    let list: Value = app.get("/api/v1/canvases").await.json().await.unwrap();
    assert_eq!(
        list["canvases"][0]["connection_errors"][0]["code"],
        "invalid_token"
    );
}
