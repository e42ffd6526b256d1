//! Consent revoked through `POST /api/v1/users/track`: `ad_tracking_enabled: false` removes
//! the user's hashed identifiers from the audience through the sync pipeline, once however
//! often it is sent, without moving a step counter; the user's trace says `consent_revoked`.

use serde_json::{Value, json};

use crate::sync_support::{hashes, spawn_sync_app};

#[tokio::test]
async fn tracking_ad_tracking_disabled_removes_the_user_from_the_audience_and_the_trace_says_so() {
    let sync = spawn_sync_app().await;
    sync.enter(1..=3).await;
    sync.sync().await;
    assert_eq!(sync.members(), hashes(1..=3));
    let before = sync.step_metrics().await;

    let track = json!({ "attributes": [{ "external_id": "fan-2", "ad_tracking_enabled": false }] });
    let response = sync
        .app
        .send_json(reqwest::Method::POST, "/api/v1/users/track", track.clone())
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["consent_removals_queued"], 1, "{body}");
    let again = sync
        .app
        .send_json(reqwest::Method::POST, "/api/v1/users/track", track)
        .await;
    let body: Value = again.json().await.unwrap();
    assert_eq!(
        body["consent_removals_queued"], 0,
        "calling track twice queues nothing more"
    );

    let report = sync.pipeline().send_consent_removals().await.unwrap();
    assert_eq!((report.requests, report.removed), (1, 1));
    assert_eq!(sync.members(), hashes([1, 3]));
    assert_eq!(sync.step_metrics().await, before, "no step counter moves");

    let trace: Value = sync
        .app
        .get(&format!("/api/v1/canvases/{}/users/fan-2", sync.canvas_id))
        .await
        .json()
        .await
        .unwrap();
    let consent = &trace["consent_revoked"];
    assert_eq!(consent.as_array().map(Vec::len), Some(1), "{trace}");
    assert_eq!(consent[0]["reason"], "consent_revoked");
    assert_eq!(consent[0]["status"], "removed");
    assert_eq!(consent[0]["records_removed"], 1);
    assert_eq!(consent[0]["request_ids"].as_array().map(Vec::len), Some(1));
    let text = trace.to_string();
    assert!(
        !text.contains("fan2@example.com"),
        "no raw identifier in the trace"
    );
}

/// `ad_tracking_enabled: false` arriving through bulk entry (NDJSON) or `trigger/send`
/// revokes consent just as `users/track` does: the removal is queued once the entry has
/// committed, and the user leaves the audience.
#[tokio::test]
async fn consent_revoked_through_bulk_entry_or_trigger_send_removes_the_user_too() {
    let sync = spawn_sync_app().await;
    sync.enter(1..=3).await;
    sync.sync().await;
    assert_eq!(sync.members(), hashes(1..=3));

    let ndjson = "{\"external_user_id\":\"fan-1\",\"ad_tracking_enabled\":false}\n";
    let response = sync
        .app
        .client
        .post(
            sync.app
                .url(&format!("/api/v1/canvases/{}/entries", sync.canvas_id)),
        )
        .bearer_auth(&sync.app.api_key)
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let trigger = json!({
        "canvas_id": sync.canvas_id,
        "recipients": [{ "external_user_id": "fan-3", "attributes": { "ad_tracking_enabled": false } }]
    });
    let response = sync
        .app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/canvas/trigger/send",
            trigger,
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let report = sync.pipeline().send_consent_removals().await.unwrap();
    assert_eq!((report.requests, report.removed), (1, 2), "{report:?}");
    assert_eq!(sync.members(), hashes([2]));
}
