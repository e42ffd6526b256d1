//! A connection's life after the dance: refresh with rotation, revocation, a lost ad
//! account, reconnecting, disconnecting, events and their signed webhook deliveries.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use serde_json::{Value, json};

use crate::partners_support::{ALICE, ALICE_MAIN_ACCOUNT, PinterestApp, spawn_pinterest_app};

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn check(app: &PinterestApp) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/partners/pinterest/check"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn event_kinds(app: &PinterestApp) -> Vec<String> {
    let body: Value = app.get("/api/v1/events").await.json().await.unwrap();
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_the_rotated_refresh_token_stored() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let (access, refresh) = app.stored_tokens().await;
    app.sandbox
        .sandbox
        .expire_token(access.as_deref().unwrap())
        .unwrap();

    let view = check(&app).await;

    assert_eq!(view["status"], "connected");
    let (new_access, new_refresh) = app.stored_tokens().await;
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh, "the rotated refresh token is stored");
    // The old refresh token no longer works: only the stored one can refresh again.
    app.sandbox
        .sandbox
        .expire_token(new_access.as_deref().unwrap())
        .unwrap();
    assert_eq!(check(&app).await["status"], "connected");
}

#[tokio::test]
async fn a_due_connection_is_refreshed_proactively_by_the_background_pass() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[]).await;
    let (access, refresh) = app.stored_tokens().await;
    let now = pinsync_store::now_millis();

    let not_yet = app.service.refresh_due_connections(now).await.unwrap();
    let due = app
        .service
        .refresh_due_connections(now + 29 * DAY_MS)
        .await
        .unwrap();

    assert_eq!((not_yet, due), (0, 1));
    let (new_access, new_refresh) = app.stored_tokens().await;
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh);
}

#[tokio::test]
async fn revoked_tokens_make_the_connection_invalid_token_with_an_event() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let (_, refresh) = app.stored_tokens().await;
    app.sandbox
        .sandbox
        .revoke_token(refresh.as_deref().unwrap())
        .unwrap();

    let view = check(&app).await;

    assert_eq!(view["status"], "invalid_token");
    assert!(
        view["message"]
            .as_str()
            .unwrap()
            .contains("disconnect and reconnect Pinterest")
    );
    assert_eq!(event_kinds(&app).await, ["connection.invalid_token"]);
    let search = app
        .get(&format!(
            "/api/v1/partners/pinterest/ad_accounts/{ALICE_MAIN_ACCOUNT}/audiences"
        ))
        .await;
    assert_eq!(search.status(), 409);
}

#[tokio::test]
async fn a_removed_role_marks_the_ad_account_access_lost_with_what_to_do() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    app.sandbox
        .sandbox
        .set_role(ALICE_MAIN_ACCOUNT, ALICE, None)
        .unwrap();

    let view = check(&app).await;

    let account = view["ad_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == ALICE_MAIN_ACCOUNT)
        .unwrap()
        .clone();
    assert_eq!(account["status"], "access_lost");
    assert!(account["message"].as_str().unwrap().contains(
        "disconnect and reconnect Pinterest; make sure the Business Hub admin gave the app access to this ad account"
    ));
    assert_eq!(event_kinds(&app).await, ["ad_account.access_lost"]);
}

#[tokio::test]
async fn reconnecting_restores_connected_and_keeps_the_account_selection() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let id_before = app
        .store
        .connection(app.workspace)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (_, refresh) = app.stored_tokens().await;
    app.sandbox
        .sandbox
        .revoke_token(refresh.as_deref().unwrap())
        .unwrap();
    assert_eq!(check(&app).await["status"], "invalid_token");

    let authorize = app.start_connect().await;
    let callback = app.consent(&authorize, ALICE, true).await;
    let view: Value = app.follow_callback(&callback).await.json().await.unwrap();

    assert_eq!(view["status"], "connected");
    let selected: Vec<&Value> = view["ad_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["selected"] == true)
        .collect();
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0]["id"], ALICE_MAIN_ACCOUNT);
    let id_after = app
        .store
        .connection(app.workspace)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(id_after, id_before);
}

#[tokio::test]
async fn disconnecting_destroys_the_tokens_and_revokes_them_at_pinterest() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let (access, _) = app.stored_tokens().await;

    let response = app
        .client
        .delete(app.url("/api/v1/partners/pinterest"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "disconnected");
    assert_eq!(view["sandbox"], true);
    assert_eq!(app.stored_tokens().await, (None, None));
    let still_valid = reqwest::Client::new()
        .get(format!("{}/user_account", app.sandbox.api_url()))
        .bearer_auth(access.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(still_valid.status(), 401, "the access token was revoked");
}

/// A webhook receiver on port 0 that records what it got and answers `status`.
async fn spawn_receiver(status: u16) -> (String, Arc<Mutex<Vec<(String, Vec<u8>)>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let signature = headers
                        .get("x-pinsync-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    sink.lock().unwrap().push((signature, body.to_vec()));
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

#[tokio::test]
async fn events_are_posted_to_webhooks_signed_with_the_secret() {
    let app = spawn_pinterest_app().await;
    let (url, received) = spawn_receiver(200).await;
    let response = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/webhooks",
            json!({ "urls": [url] }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let secret = response.json::<Value>().await.unwrap()["signing_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    app.sandbox
        .sandbox
        .set_role(ALICE_MAIN_ACCOUNT, ALICE, None)
        .unwrap();
    check(&app).await;

    let report = app
        .service
        .notifier()
        .deliver_due(pinsync_store::now_millis())
        .await
        .unwrap();

    assert_eq!(report.delivered, 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (signature, body) = &got[0];
    assert_eq!(
        signature,
        &pinsync_connect::notify::signature(&secret, body)
    );
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "ad_account.access_lost");
    assert_eq!(event["data"]["ad_account_id"], ALICE_MAIN_ACCOUNT);
}

#[tokio::test]
async fn a_failing_webhook_is_retried_at_its_stored_next_attempt() {
    let app = spawn_pinterest_app().await;
    let (url, received) = spawn_receiver(503).await;
    app.service
        .notifier()
        .set_webhooks(app.workspace, vec![url])
        .await
        .unwrap();
    app.service
        .notifier()
        .record(app.workspace, "connection.invalid_token", json!({}))
        .await
        .unwrap();
    let now = pinsync_store::now_millis();
    let notifier = app.service.notifier();

    let first = notifier.deliver_due(now).await.unwrap();
    let too_early = notifier.deliver_due(now + 4_999).await.unwrap();
    let second = notifier.deliver_due(now + 5_000).await.unwrap();

    assert_eq!(first.retrying, 1);
    assert_eq!(too_early, pinsync_connect::DeliveryReport::default());
    assert_eq!(second.retrying, 1);
    assert_eq!(received.lock().unwrap().len(), 2);
}
