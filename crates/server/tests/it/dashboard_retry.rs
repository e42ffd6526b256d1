//! The analytics page's "Retry errored users" button: shown only on an Audience Sync step with
//! errored users, refused without its CSRF token, and — in headless Chromium — requeueing a
//! revoked token's errored users after the reconnect, with a notice, until they are synced.

use std::time::Duration;

use pinsync_connect::{CreatedAudience, token_context};
use pinsync_engine::{Clock, NoLaunchChecks};
use pinsync_store::CanvasId;
use serde_json::{Value, json};

use crate::dashboard_browser::start_browser;
use crate::dashboard_mission::{ALICE_MAIN_ACCOUNT, connect_pinterest};
use crate::dashboard_support::{DashboardApp, LOGIN, PASSWORD, WebSession, spawn_dashboard};

/// The 13 h retry horizon and a second.
const PAST_HORIZON: Duration = Duration::from_secs(13 * 3_600 + 1);

async fn enter(app: &DashboardApp, canvas: CanvasId, users: std::ops::RangeInclusive<u32>) {
    let recipients: Vec<Value> = users
        .map(|n| json!({ "external_user_id": format!("fan-{n}"), "attributes": { "email": format!("fan{n}@example.com") } }))
        .collect();
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/canvas/trigger/send"))
        .bearer_auth(&app.api_key)
        .json(&json!({ "canvas_id": canvas.0.to_string(), "recipients": recipients }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
}

/// An active Canvas whose one Audience Sync step `sync` adds to `audience`.
async fn active_canvas(app: &DashboardApp, audience: Value) -> CanvasId {
    let definition = json!({
        "name": "Loyal fans",
        "entry_step_id": "sync",
        "steps": [{
            "id": "sync", "name": "Add fans", "type": "audience_sync", "partner": "pinterest",
            "ad_account_id": ALICE_MAIN_ACCOUNT, "action": "add", "match_fields": ["email"],
            "audience": audience, "next": null,
        }],
    });
    let definition =
        pinsync_core::canvas::CanvasDefinition::parse_json(&definition.to_string()).unwrap();
    let engine = pinsync_engine::Engine::with_system_clock(app.store.clone());
    let canvas = engine
        .create_canvas(app.workspace, definition)
        .await
        .unwrap();
    engine
        .launch(app.workspace, canvas.id, &NoLaunchChecks)
        .await
        .unwrap();
    canvas.id
}

/// Past the flush, a pass; past the retry horizon, another: held users become errored.
async fn error_everything_pending(app: &DashboardApp) {
    // The engine stamps entries with the real time: first catch the pipeline's clock up.
    let behind = pinsync_store::now_millis() - app.clock.now_millis();
    app.clock
        .advance(Duration::from_millis(u64::try_from(behind).unwrap_or(0)));
    app.clock.advance(Duration::from_secs(10));
    app.pipeline.run_once().await.unwrap();
    app.clock.advance(PAST_HORIZON);
    app.pipeline.run_once().await.unwrap();
}

#[tokio::test]
async fn the_retry_button_shows_only_with_errored_users_and_needs_its_csrf_token() {
    let app = spawn_dashboard().await;
    // No Pinterest connection at all: the step's users wait, then error at the horizon.
    let audience = json!({ "existing": { "audience_id": "1234" } });
    let canvas = active_canvas(&app, audience).await;
    let session = WebSession::sign_in(&app, LOGIN, PASSWORD).await;
    let analytics = format!("/canvases/{}/analytics", canvas.0);
    let retry = format!("/canvases/{}/steps/sync/retry_errored", canvas.0);

    enter(&app, canvas, 1..=3).await;
    let page = session.get_html(&analytics).await;
    assert!(
        !page.contains("Retry errored users"),
        "no errored users yet"
    );

    error_everything_pending(&app).await;
    let page = session.get_html(&analytics).await;
    assert!(
        page.contains("id=\"retry-errored-sync\""),
        "the button shows"
    );
    assert!(page.contains(&format!("action=\"{retry}\"")));

    let refused = session.post_raw(&retry, &[]).await;
    assert_eq!(refused.status(), 403, "no CSRF token, no requeue");
    let page = session.get_html(&analytics).await;
    assert!(page.contains("id=\"retry-errored-sync\""), "still errored");

    let response = session.post(&retry, &[]).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{analytics}?requeued=3&step=sync"));
    let page = session.get_html(&location).await;
    assert!(
        page.contains("3 errored users of “Add fans” were requeued"),
        "the notice says how many"
    );
    assert!(
        !page.contains("id=\"retry-errored-sync\""),
        "nothing errored any more"
    );
    let counts = app.store.canvas_counts(canvas).await.unwrap();
    let step = &counts.steps[&pinsync_core::canvas::StepId::from("sync")];
    assert_eq!(
        (step.entered, step.pending, step.errored_total()),
        (3, 3, 0)
    );

    let unknown = session
        .post(
            &format!("/canvases/{}/steps/nope/retry_errored", canvas.0),
            &[],
        )
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_retry_button_syncs_a_revoked_tokens_errored_users_after_the_reconnect_in_a_browser() {
    let app = spawn_dashboard().await;
    let Some(browser) = start_browser(&app.address, "retry errored users").await else {
        return;
    };
    browser.sign_in("/canvases", LOGIN, PASSWORD).await;
    connect_pinterest(&browser).await;
    let created = app
        .service
        .create_audience(app.workspace, ALICE_MAIN_ACCOUNT, "Loyal fans")
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
    let audience = json!({ "new": { "name": "Loyal fans", "created": { "audience_id": audience_id, "customer_list_id": customer_list_id } } });
    let canvas = active_canvas(&app, audience).await;

    // Pinterest revokes the grant; the users entered afterwards outlive the retry horizon.
    let stored = app.store.connection(app.workspace).await.unwrap().unwrap();
    let refresh = pinsync_connect::TokenCipher::from_key([7; 32])
        .decrypt(
            &stored.refresh_token.unwrap(),
            &token_context(app.workspace, "refresh_token"),
        )
        .unwrap();
    app.sandbox.sandbox.revoke_token(&refresh).unwrap();
    enter(&app, canvas, 1..=4).await;
    error_everything_pending(&app).await;

    let analytics = format!("/canvases/{}/analytics", canvas.0);
    browser.goto(&analytics).await;
    assert_eq!(
        browser.text("#metrics-sync [data-metric=errored]").await,
        "4"
    );
    let button = browser.text("#retry-errored-sync").await;
    assert_eq!(button, "Retry errored users");

    // The fix: connect Pinterest again.
    browser.goto("/partners/pinterest").await;
    browser.click("#disconnect-pinterest").await;
    browser
        .wait_for_text("#partner-notice", "disconnected")
        .await;
    connect_pinterest(&browser).await;

    browser.goto(&analytics).await;
    let show_button =
        "document.querySelector('form.retry-errored').scrollIntoView({block: 'center'})";
    browser.client.execute(show_button, vec![]).await.unwrap();
    browser.screenshot("retry-errored").await;
    browser.click("#retry-errored-sync").await;
    let notice = browser
        .wait_for_text("#analytics-notice", "were requeued")
        .await;
    assert!(notice.contains("4 errored users of “Add fans”"), "{notice}");
    assert_eq!(
        browser.text("#metrics-sync [data-metric=pending]").await,
        "4"
    );
    assert_eq!(
        browser.text("#metrics-sync [data-metric=errored]").await,
        "0"
    );

    app.pipeline.run_once().await.unwrap();
    browser.goto(&analytics).await;
    assert_eq!(
        browser.text("#metrics-sync [data-metric=synced]").await,
        "4"
    );
    assert_eq!(
        app.sandbox
            .sandbox
            .list_members(&customer_list_id)
            .unwrap_or_default()
            .len(),
        4
    );
    browser.close().await;
}
