//! In headless Chromium: Pinterest revokes the token → the banner and the Canvas's error show
//! what to do → disconnect and connect again → the held users are synced.

use std::sync::Arc;
use std::time::Duration;

use pinsync_connect::{CreatedAudience, token_context};
use pinsync_pipeline::{ConnectionKey, Pipeline, PipelineSettings, StaticDirectory};
use serde_json::json;

use crate::dashboard_browser::start_browser;
use crate::dashboard_mission::{ALICE_MAIN_ACCOUNT, connect_pinterest};
use crate::dashboard_support::{DashboardApp, LOGIN, PASSWORD, spawn_dashboard};

async fn enter(app: &DashboardApp, canvas_id: i64, users: std::ops::RangeInclusive<u32>) {
    let recipients: Vec<_> = users
        .map(|n| json!({ "external_user_id": format!("fan-{n}"), "attributes": { "email": format!("fan{n}@example.com") } }))
        .collect();
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/canvas/trigger/send"))
        .bearer_auth(&app.api_key)
        .json(&json!({ "canvas_id": canvas_id.to_string(), "recipients": recipients }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
}

/// Runs passes until one sends nothing; returns the users synced.
async fn drain(pipeline: &Pipeline) -> u64 {
    let mut synced = 0;
    for _ in 0..20 {
        let pass = pipeline.run_once().await.unwrap();
        synced += pass.synced();
        if pass.requests() == 0 {
            break;
        }
    }
    synced
}

#[tokio::test]
async fn a_revoked_token_shows_the_banner_and_the_canvas_error_and_a_reconnect_resumes_the_sync() {
    let app = spawn_dashboard().await;
    let Some(browser) = start_browser(&app.address, "revoked token and reconnect").await else {
        return;
    };
    browser.sign_in("/canvases", LOGIN, PASSWORD).await;
    connect_pinterest(&browser).await;

    let workspace = app.workspace;
    let created = app
        .service
        .create_audience(workspace, ALICE_MAIN_ACCOUNT, "Loyal fans")
        .await
        .unwrap();
    let CreatedAudience::Created {
        audience_id,
        customer_list_id,
        ..
    } = created
    else {
        panic!("the sandbox accepts empty lists here: {created:?}");
    };
    let definition = json!({
        "name": "Loyal fans",
        "entry_step_id": "sync",
        "steps": [{
            "id": "sync", "name": "Add fans", "type": "audience_sync", "partner": "pinterest",
            "ad_account_id": ALICE_MAIN_ACCOUNT, "action": "add", "match_fields": ["email"],
            "audience": { "new": { "name": "Loyal fans", "created": { "audience_id": audience_id, "customer_list_id": customer_list_id } } },
        }],
    });
    let definition =
        pinsync_core::canvas::CanvasDefinition::parse_json(&definition.to_string()).unwrap();
    let engine = pinsync_engine::Engine::with_system_clock(app.store.clone());
    let canvas = engine.create_canvas(workspace, definition).await.unwrap();
    engine
        .launch(workspace, canvas.id, &pinsync_engine::NoLaunchChecks)
        .await
        .unwrap();

    let directory = StaticDirectory::new();
    let key = ConnectionKey("alice".into());
    directory.insert(
        workspace,
        ALICE_MAIN_ACCOUNT,
        key.clone(),
        app.service.connection_client(workspace).await.unwrap(),
    );
    let settings = PipelineSettings {
        flush_interval: Duration::from_millis(1),
        ..PipelineSettings::default()
    };
    let pipeline = Pipeline::new(
        app.store.clone(),
        Arc::new(directory.clone()),
        Arc::new(pinsync_engine::SystemClock),
        settings,
    );
    enter(&app, canvas.id.0, 1..=5).await;
    assert_eq!(drain(&pipeline).await, 5);

    // Pinterest revokes the grant (as when an admin removes the user from the Business Hub).
    let stored = app.store.connection(workspace).await.unwrap().unwrap();
    let cipher = pinsync_connect::TokenCipher::from_key([7; 32]);
    let refresh = cipher
        .decrypt(
            &stored.refresh_token.unwrap(),
            &token_context(workspace, "refresh_token"),
        )
        .unwrap();
    app.sandbox.sandbox.revoke_token(&refresh).unwrap();
    enter(&app, canvas.id.0, 6..=8).await;
    assert_eq!(
        drain(&pipeline).await,
        0,
        "nothing is synced with a revoked token"
    );
    app.service.check(workspace).await.unwrap();

    browser.goto("/canvases").await;
    let banner = browser
        .wait_for_text("#connection-banner", "connect Pinterest again")
        .await;
    assert!(banner.contains("Syncing is paused"), "{banner}");
    let problem = browser.text(".canvas-problem").await;
    assert!(problem.contains("token is invalid"), "{problem}");
    browser.screenshot("token-invalid").await;

    browser.goto("/partners/pinterest").await;
    browser.click("#disconnect-pinterest").await;
    browser
        .wait_for_text("#partner-notice", "disconnected")
        .await;
    browser.click("#connect-pinterest").await;
    browser.click("button[value=allow]").await;
    browser
        .wait_for_text("#partner-notice", "Choose the ad accounts")
        .await;
    let account = browser
        .find(&format!("#ad-account-{ALICE_MAIN_ACCOUNT}"))
        .await;
    if !account.is_selected().await.unwrap() {
        account.click().await.unwrap();
    }
    browser.click("#save-ad-accounts").await;
    browser.wait_for_text("#partner-notice", "saved").await;

    directory.reconnect(
        &key,
        app.service.connection_client(workspace).await.unwrap(),
    );
    assert_eq!(
        drain(&pipeline).await,
        3,
        "the held users are synced after the reconnect"
    );
    browser
        .goto(&format!("/canvases/{}/analytics", canvas.id.0))
        .await;
    assert_eq!(
        browser.text("#metrics-sync [data-metric=synced]").await,
        "8"
    );
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("#connection-banner"))
            .await
            .is_err()
    );
    browser.close().await;
}
