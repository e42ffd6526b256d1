//! Pinterest misbehaving: 429 storms, 5xx bursts and dropped connections are retried at
//! stored times until every user is synced once; an invalid request is split; retries stop
//! at the 13 h horizon.

use std::time::Duration;

use pinsync_pipeline::PipelineSettings;
use pinsync_sandbox::FaultConfig;

use crate::support::{Harness, digests, sandbox_config, test_settings};

async fn drains_through(faults: FaultConfig) -> Harness {
    let settings = PipelineSettings {
        max_records_per_request: 100,
        ..test_settings()
    };
    let mut config = sandbox_config();
    config.faults = faults;
    let app = Harness::start_with(config, settings).await;
    // Created outside the faults' reach is not possible (they apply to every /v5 call), so
    // the audience is made before they are switched on.
    let faults = app.sandbox().faults();
    app.sandbox().set_faults(FaultConfig::default()).unwrap();
    let (audience, list) = app.audience("faults").await;
    app.sandbox().set_faults(faults).unwrap();
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 0..1_000).await;
    app.advance(Duration::from_secs(5));

    app.drain(Duration::from_secs(600), 300).await;

    assert_eq!(app.members(&list), digests(0..1_000));
    let counts = app.step_counts(canvas).await;
    assert_eq!(
        (counts.synced, counts.pending, counts.errored_total()),
        (1_000, 0, 0)
    );
    app
}

#[tokio::test]
async fn a_429_storm_is_retried_at_stored_times_until_everyone_is_synced() {
    let app = drains_through(FaultConfig {
        rate_limit_fraction: 0.4,
        spam_rate_limit_fraction: 0.2,
        ..FaultConfig::default()
    })
    .await;
    assert!(app.patch_requests(429) > 0);
}

#[tokio::test]
async fn bursts_of_server_errors_are_retried_until_everyone_is_synced() {
    let app = drains_through(FaultConfig {
        error_500_fraction: 0.3,
        error_503_fraction: 0.3,
        ..FaultConfig::default()
    })
    .await;
    let failed = app.patch_requests(500) + app.patch_requests(503);
    assert!(failed > 0, "{:?}", app.sandbox().stats().endpoints);
}

#[tokio::test]
async fn dropped_connections_are_retried_and_counted_once() {
    drains_through(FaultConfig {
        drop_connection_fraction: 0.5,
        ..FaultConfig::default()
    })
    .await;
}

#[tokio::test]
async fn an_invalid_request_is_split_until_its_parts_are_accepted() {
    let mut config = sandbox_config();
    config.customer_lists.max_records_per_request = 30;
    let settings = PipelineSettings {
        max_records_per_request: 100,
        ..test_settings()
    };
    let app = Harness::start_with(config, settings).await;
    let (audience, list) = app.audience("split").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 0..100).await;

    let pass = app.run_once().await;

    assert_eq!(pass.requests(), 7, "100 → 2×50 → 4×25");
    assert_eq!(app.patch_requests(400), 3);
    assert_eq!(app.members(&list), digests(0..100));
    assert_eq!(app.step_counts(canvas).await.synced, 100);
}

#[tokio::test]
async fn users_error_with_the_last_failure_once_thirteen_hours_have_passed() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("horizon").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.sandbox()
        .set_faults(FaultConfig {
            error_503_fraction: 1.0,
            ..FaultConfig::default()
        })
        .unwrap();
    app.enter(canvas, 0..5).await;
    app.advance(Duration::from_secs(5));
    let mut passes = 0;
    while app.pending_total().await > 0 {
        app.run_once().await;
        app.advance(Duration::from_secs(1_800));
        passes += 1;
        assert!(passes < 100, "never gave up");
    }
    let counts = app.step_counts(canvas).await;
    assert_eq!(counts.errored.get("transient"), Some(&5));
    assert!(
        passes >= 26,
        "kept trying for 13 h, not less ({passes} passes)"
    );
    let trace = pinsync_store::CanvasStore::journey_traces(&*app.store, canvas, "user-0")
        .await
        .unwrap();
    let visit = &trace[0].visits[0];
    assert_eq!(visit.outcome.as_deref(), Some("errored"));
    assert_eq!(visit.reason.as_deref(), Some("transient"));
    assert!(visit.attempts > 10);
    assert!(!visit.request_ids.is_empty());
}
