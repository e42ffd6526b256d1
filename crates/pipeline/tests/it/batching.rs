//! The flush rule (5 s or a full request), fairness between Canvases on one connection, and
//! what a request carries.

use std::time::Duration;

use pinsync_core::sync::batch_plan::is_sha256_hex;
use pinsync_pipeline::PipelineSettings;

use crate::support::{Harness, digests, sandbox_config, test_settings};

#[tokio::test]
async fn users_are_sent_five_seconds_after_the_oldest_entered_and_not_before() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("flush").await;
    let canvas = app.canvas(&audience, "add").await;
    app.enter(canvas, 0..10).await;

    app.advance(Duration::from_millis(4_999));
    let early = app.run_once().await;
    assert_eq!(early.requests(), 0);
    assert_eq!(app.step_counts(canvas).await.pending, 10);

    app.advance(Duration::from_millis(1));
    let due = app.run_once().await;
    assert_eq!(due.requests(), 1);
    assert_eq!(app.members(&list), digests(0..10));
    let counts = app.step_counts(canvas).await;
    assert_eq!((counts.synced, counts.pending), (10, 0));
}

#[tokio::test]
async fn full_requests_go_at_once_and_the_rest_waits_for_its_flush_time() {
    let settings = PipelineSettings {
        max_records_per_request: 100,
        ..test_settings()
    };
    let app = Harness::start_with(sandbox_config(), settings).await;
    let (audience, list) = app.audience("full").await;
    let canvas = app.canvas(&audience, "add").await;
    app.enter(canvas, 0..250).await;

    let at_once = app.run_once().await;
    assert_eq!(at_once.requests(), 2);
    assert!(at_once.batches.iter().all(|b| b.records_sent == 100));
    assert_eq!(app.members(&list), digests(0..200), "oldest users go first");
    assert_eq!(app.step_counts(canvas).await.pending, 50);

    app.advance(Duration::from_secs(5));
    assert_eq!(app.run_once().await.requests(), 1);
    assert_eq!(app.members(&list), digests(0..250));
}

#[tokio::test]
async fn a_large_backlog_does_not_starve_a_small_canvas_on_the_same_connection() {
    let settings = PipelineSettings {
        max_records_per_request: 100,
        ..test_settings()
    };
    let app = Harness::start_with(sandbox_config(), settings).await;
    let (big_audience, _) = app.audience("big").await;
    let (small_audience, small_list) = app.audience("small").await;
    let big = app.canvas(&big_audience, "add").await;
    let small = app.canvas(&small_audience, "add").await;
    app.enter(big, 0..2_000).await;
    app.advance(Duration::from_secs(1));
    app.enter(small, 10_000..10_005).await;
    app.advance(Duration::from_secs(5));

    let pass = app.run_once().await;
    let order: Vec<_> = pass.batches.iter().map(|b| b.canvas_id).collect();
    assert_eq!(order.len(), 21);
    let small_turn = order.iter().position(|c| *c == small).unwrap();
    assert!(
        small_turn <= 1,
        "the small canvas waited {small_turn} batches: {order:?}"
    );
    assert_eq!(app.members(&small_list), digests(10_000..10_005));
}

#[tokio::test]
async fn only_hashed_identifiers_reach_pinterest_each_once_per_request() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("hashed").await;
    let canvas = app.canvas(&audience, "add").await;
    // Two users share an email digest: the request carries it once.
    let shared = crate::support::email_digest(7);
    app.enter_with(
        canvas,
        vec![
            (
                "a".into(),
                vec![shared.clone(), crate::support::email_digest(100)],
            ),
            ("b".into(), vec![shared.clone()]),
        ],
    )
    .await;
    app.advance(Duration::from_secs(5));
    let pass = app.run_once().await;
    assert_eq!(pass.batches[0].records_sent, 2);
    let members = app.members(&list);
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| is_sha256_hex(m)), "{members:?}");
    assert_eq!(app.step_counts(canvas).await.synced, 2);
}
