//! The step editor's audiences through real HTTP: typeahead search over 10,000 audiences,
//! creation when Pinterest accepts an empty customer list and when it does not, and an
//! audience's Pinterest-side status.

use std::sync::Arc;

use pinsync_pinterest::models::{
    AudienceRule, AudienceType, CreateAudience, CreateCustomerList, ListType, Records,
};
use pinsync_pinterest::{PinterestClient, PinterestConfig, Secret};
use pinsync_sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::partners_support::{
    ALICE, ALICE_MAIN_ACCOUNT, ALICE_SECOND_ACCOUNT, AppOptions, PinterestApp,
    spawn_pinterest_app_with,
};
use crate::support::error_body;

fn audiences_path(account: &str) -> String {
    format!("/api/v1/partners/pinterest/ad_accounts/{account}/audiences")
}

fn list_calls(app: &PinterestApp) -> u64 {
    app.sandbox
        .sandbox
        .stats()
        .endpoints
        .iter()
        .filter(|e| e.endpoint == "GET /v5/ad_accounts/{ad_account_id}/audiences")
        .map(|e| e.count)
        .sum()
}

/// Creates `count` audiences named `audience 00000`… directly in the sandbox, many at once.
async fn seed_audiences(app: &PinterestApp, count: usize) {
    let token = app
        .sandbox
        .sandbox
        .issue_token(ALICE, &["ads:read".into(), "ads:write".into()])
        .unwrap()
        .access_token;
    let seed = app.sandbox.sandbox.seed().app;
    let config = PinterestConfig::new(seed.client_id, Secret::new(seed.client_secret))
        .with_api_base(app.sandbox.api_url());
    let client = Arc::new(PinterestClient::new(config).unwrap());
    let token = pinsync_pinterest::AccessToken::new(token);
    let list = pinsync_pinterest::request::create_customer_list(
        ALICE_MAIN_ACCOUNT,
        &CreateCustomerList {
            name: "seed".into(),
            records: Records::join(["a@example.com"]),
            list_type: Some(ListType::Email),
        },
    )
    .unwrap();
    let list: pinsync_pinterest::models::CustomerList =
        client.send(&list, Some(&token)).await.unwrap().value;
    let mut tasks = tokio::task::JoinSet::new();
    let workers = 16;
    for worker in 0..workers {
        let (client, token, list_id) = (client.clone(), token.clone(), list.id.clone());
        tasks.spawn(async move {
            for n in (worker..count).step_by(workers) {
                let body = CreateAudience {
                    name: format!("audience {n:05}"),
                    audience_type: AudienceType::CustomerList,
                    rule: AudienceRule {
                        customer_list_id: Some(list_id.clone()),
                    },
                    description: None,
                };
                let request =
                    pinsync_pinterest::request::create_audience(ALICE_MAIN_ACCOUNT, &body).unwrap();
                let _: pinsync_pinterest::models::Audience =
                    client.send(&request, Some(&token)).await.unwrap().value;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

fn unlimited_sandbox() -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.rate_limits.enabled = false;
    config
}

#[tokio::test]
async fn searching_ten_thousand_audiences_fetches_only_what_the_page_needs_and_reuses_it() {
    let app = spawn_pinterest_app_with(AppOptions {
        sandbox: unlimited_sandbox(),
        ..AppOptions::default()
    })
    .await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    seed_audiences(&app, 10_000).await;
    let before = list_calls(&app);

    let started = std::time::Instant::now();
    let first: Value = app
        .get(&format!(
            "{}?page_size=25",
            audiences_path(ALICE_MAIN_ACCOUNT)
        ))
        .await
        .json()
        .await
        .unwrap();
    let first_page_took = started.elapsed();

    assert_eq!(first["items"].as_array().unwrap().len(), 25);
    assert_eq!(
        list_calls(&app) - before,
        1,
        "one Pinterest page for the first page"
    );
    assert!(
        first_page_took < std::time::Duration::from_secs(2),
        "{first_page_took:?}"
    );
    let second: Value = app
        .get(&format!(
            "{}?page_size=25&bookmark={}",
            audiences_path(ALICE_MAIN_ACCOUNT),
            first["bookmark"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    assert_eq!(
        list_calls(&app) - before,
        1,
        "the next page comes from the cache"
    );

    let found: Value = app
        .get(&format!(
            "{}?query=AUDIENCE%2009999",
            audiences_path(ALICE_MAIN_ACCOUNT)
        ))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["audience 09999"]);
    assert_eq!(found["bookmark"], Value::Null);
    let calls_after_full_scan = list_calls(&app);
    let narrower: Value = app
        .get(&format!(
            "{}?query=audience%20099",
            audiences_path(ALICE_MAIN_ACCOUNT)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(narrower["items"].as_array().unwrap().len(), 25);
    assert_eq!(
        list_calls(&app),
        calls_after_full_scan,
        "keystrokes reuse the cache"
    );
}

#[tokio::test]
async fn an_audience_is_created_at_once_when_pinterest_accepts_an_empty_list() {
    let mut sandbox = SandboxConfig::default();
    sandbox.customer_lists.allow_empty_create = true;
    let app = spawn_pinterest_app_with(AppOptions {
        sandbox,
        ..AppOptions::default()
    })
    .await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;

    let response = app
        .send_json(
            reqwest::Method::POST,
            &audiences_path(ALICE_MAIN_ACCOUNT),
            json!({"name": "Gold buyers"}),
        )
        .await;

    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "created");
    let audience_id = created["audience_id"].as_str().unwrap();
    let status: Value = app
        .get(&format!(
            "{}/{audience_id}",
            audiences_path(ALICE_MAIN_ACCOUNT)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["name"], "Gold buyers");
    assert_eq!(status["customer_list"]["id"], created["customer_list_id"]);
    assert!(status["customer_list"]["status"].is_string());
    assert_eq!(status["customer_list"]["num_uploaded_user_records"], 0);
    let found: Value = app
        .get(&format!(
            "{}?query=gold",
            audiences_path(ALICE_MAIN_ACCOUNT)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        found["items"][0]["id"], audience_id,
        "the cache is refreshed on creation"
    );
}

#[tokio::test]
async fn an_audience_waits_as_pending_creation_when_pinterest_rejects_an_empty_list() {
    let app = spawn_pinterest_app_with(AppOptions::default()).await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;

    let response = app
        .send_json(
            reqwest::Method::POST,
            &audiences_path(ALICE_MAIN_ACCOUNT),
            json!({"name": "Gold buyers"}),
        )
        .await;

    assert_eq!(response.status(), 202);
    let pending: Value = response.json().await.unwrap();
    assert_eq!(pending["status"], "pending_creation");
    let pending_id = pending["pending_id"].as_i64().unwrap();
    let hashed = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514";

    let created = app
        .service
        .create_pending_audience(app.workspace, pending_id, Records::join([hashed]))
        .await
        .unwrap();

    let pinsync_connect::CreatedAudience::Created {
        customer_list_id, ..
    } = created
    else {
        panic!("still pending: {created:?}");
    };
    let members = app.sandbox.sandbox.list_members(&customer_list_id).unwrap();
    assert!(members.contains(hashed));
}

#[tokio::test]
async fn audiences_of_an_unselected_ad_account_are_refused_with_what_to_do() {
    let app = spawn_pinterest_app_with(AppOptions::default()).await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;

    let response = app.get(&audiences_path(ALICE_SECOND_ACCOUNT)).await;

    assert_eq!(response.status(), 409);
    let body = error_body(response).await;
    assert_eq!(body["code"], "ad_account_not_selected");
}
