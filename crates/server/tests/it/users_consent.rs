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
