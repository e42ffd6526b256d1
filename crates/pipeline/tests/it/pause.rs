//! Failures that need a human: an invalid token or lost access pauses the work (users stay
//! pending, nothing is sent) until reconnect, then it resumes by itself; a deleted audience
//! errors its users at once; a pause longer than 13 h errors them with the pause's reason.

use std::time::Duration;

use pinsync_pipeline::ConnectionEvent;

use crate::support::{AD_ACCOUNT, ALICE, Harness, digests};

#[tokio::test]
async fn a_revoked_token_pauses_the_connection_and_reconnecting_replays_the_users() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("revoked").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.sandbox().revoke_token(&app.refresh_token).unwrap();
    app.enter(canvas, 0..20).await;
    app.advance(Duration::from_secs(5));

    let first = app.run_once().await;
    assert_eq!(
        first.batches[0].paused,
        Some(pinsync_core::reason::ReasonCode::InvalidToken)
    );
    assert!(
        app.directory
            .events()
            .contains(&ConnectionEvent::InvalidToken {
                connection: app.key.clone()
            })
    );
    assert_eq!(app.step_counts(canvas).await.pending, 20);

    app.advance(Duration::from_secs(3_600));
    let paused = app.run_once().await;
    assert_eq!(paused.requests(), 0, "a paused connection sends nothing");
    assert_eq!(paused.paused_partitions, 1);

    app.directory.reconnect(&app.key, app.connect(ALICE));
    app.run_once().await;
    assert_eq!(app.members(&list), digests(0..20));
    let counts = app.step_counts(canvas).await;
    assert_eq!((counts.synced, counts.pending), (20, 0));
}

/// A Canvas adding to audience `name` whose token is revoked, with three users entered and
/// one pass run after the flush: the connection is paused and the users pending.
async fn paused_with_three_users(app: &Harness, name: &str) -> pinsync_store::CanvasId {
    let (audience, list) = app.audience(name).await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.sandbox().revoke_token(&app.refresh_token).unwrap();
    app.enter(canvas, 0..3).await;
    app.advance(Duration::from_secs(5));
    app.run_once().await;
    canvas
}

#[tokio::test]
async fn users_paused_for_thirteen_hours_error_with_invalid_token() {
    let app = Harness::start().await;
    let canvas = paused_with_three_users(&app, "expired-pause").await;

    app.advance(Duration::from_secs(12 * 3_600));
    app.run_once().await;
    assert_eq!(app.step_counts(canvas).await.pending, 3);

    app.advance(Duration::from_secs(3_600));
    let pass = app.run_once().await;
    assert_eq!(pass.expired, 3);
    let counts = app.step_counts(canvas).await;
    assert_eq!(counts.errored.get("invalid_token"), Some(&3));
    assert_eq!(counts.pending, 0);
}

#[tokio::test]
async fn a_paused_partition_is_checked_against_the_horizon_once_a_minute() {
    let app = Harness::start().await;
    // The first attempt paused the connection; the 13 h count from it.
    let canvas = paused_with_three_users(&app, "horizon-minute").await;

    app.advance(Duration::from_secs(13 * 3_600 - 30));
    assert_eq!(app.run_once().await.expired, 0, "30 s before the horizon");
    app.advance(Duration::from_secs(40));
    assert_eq!(
        app.run_once().await.expired,
        0,
        "past the horizon, but checked 40 s ago"
    );
    assert_eq!(app.step_counts(canvas).await.pending, 3);
    app.advance(Duration::from_secs(20));
    assert_eq!(
        app.run_once().await.expired,
        3,
        "a minute after the last check"
    );
    let counts = app.step_counts(canvas).await;
    assert_eq!(counts.errored.get("invalid_token"), Some(&3));
}

#[tokio::test]
async fn lost_access_to_the_ad_account_pauses_it_until_access_is_back() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("lost").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.sandbox().set_role(AD_ACCOUNT, ALICE, None).unwrap();
    app.enter(canvas, 0..10).await;
    app.advance(Duration::from_secs(5));

    let first = app.run_once().await;
    assert_eq!(
        first.batches[0].paused,
        Some(pinsync_core::reason::ReasonCode::AccessLost)
    );
    assert!(
        app.directory
            .events()
            .contains(&ConnectionEvent::AccessLost {
                connection: app.key.clone(),
                ad_account_id: AD_ACCOUNT.into()
            })
    );
    assert_eq!(app.run_once().await.requests(), 0);
    assert_eq!(app.step_counts(canvas).await.pending, 10);

    app.sandbox()
        .set_role(AD_ACCOUNT, ALICE, Some("OWNER"))
        .unwrap();
    app.directory.reconnect(&app.key, app.connect(ALICE));
    app.run_once().await;
    assert_eq!(app.members(&list), digests(0..10));
}

#[tokio::test]
async fn a_deleted_audience_errors_its_users_at_once_and_notifies() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("deleted").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.sandbox().delete_customer_list(&list).unwrap();
    app.enter(canvas, 0..10).await;
    app.advance(Duration::from_secs(5));

    app.run_once().await;
    let counts = app.step_counts(canvas).await;
    assert_eq!(counts.errored.get("audience_deleted"), Some(&10));
    assert!(app
        .directory
        .events()
        .iter()
        .any(|event| matches!(event, ConnectionEvent::AudienceDeleted { canvas_id, .. } if *canvas_id == canvas)));

    let before = app.patch_requests(404);
    app.enter(canvas, 10..15).await;
    app.advance(Duration::from_secs(5));
    app.run_once().await;
    assert_eq!(
        app.patch_requests(404),
        before,
        "no request once the audience is known deleted"
    );
    assert_eq!(
        app.step_counts(canvas)
            .await
            .errored
            .get("audience_deleted"),
        Some(&15)
    );
}

#[tokio::test]
async fn retry_errored_requeues_a_steps_errored_users_once_the_cause_is_fixed() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("retry-errored").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.sandbox().revoke_token(&app.refresh_token).unwrap();
    app.enter(canvas, 0..4).await;
    app.advance(Duration::from_secs(5));
    app.run_once().await;
    app.advance(Duration::from_secs(13 * 3_600));
    app.run_once().await;
    assert_eq!(
        app.step_counts(canvas).await.errored.get("invalid_token"),
        Some(&4)
    );

    app.directory.reconnect(&app.key, app.connect(ALICE));
    let step = pinsync_core::canvas::StepId::from("step");
    let requeued = app
        .pipeline
        .retry_errored(app.workspace, canvas, &step)
        .await
        .unwrap();
    assert_eq!(requeued, 4);
    let counts = app.step_counts(canvas).await;
    assert_eq!((counts.pending, counts.errored_total()), (4, 0));

    app.run_once().await;
    assert_eq!(app.members(&list), digests(0..4));
    let counts = app.step_counts(canvas).await;
    assert_eq!(
        (counts.synced, counts.pending, counts.errored_total()),
        (4, 0, 0)
    );
}
