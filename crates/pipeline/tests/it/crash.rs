//! A crash in the middle of sending: the pass is cut off while a request is in flight, the
//! store is reopened, and after the lease expires every user ends with exactly one outcome
//! while Pinterest holds exactly what the steps asked for.

use std::sync::Arc;
use std::time::Duration;

use pinsync_pipeline::PipelineSettings;
use pinsync_sandbox::{FaultConfig, Latency};
use pinsync_store::{SqliteStore, Store};

use crate::support::{Harness, digests, sandbox_config, test_settings};

#[tokio::test]
async fn a_crash_mid_request_is_replayed_after_restart_and_everyone_is_counted_once() {
    let settings = PipelineSettings {
        max_records_per_request: 100,
        batches_in_flight_per_connection: 2,
        ..test_settings()
    };
    let mut app = Harness::start_with(sandbox_config(), settings).await;
    let (audience, list) = app.audience("crash").await;
    let (remove_audience, remove_list) = (audience.clone(), list.clone());
    let add = app.canvas_known(&audience, &list, "add").await;
    let remove = app
        .canvas_known(&remove_audience, &remove_list, "remove")
        .await;
    app.enter(add, 0..400).await;
    app.enter(remove, 300..400).await;
    app.advance(Duration::from_secs(5));
    app.sandbox()
        .set_faults(FaultConfig {
            latency: Latency::Fixed { ms: 2_000 },
            ..FaultConfig::default()
        })
        .unwrap();

    // Stop abruptly while the first requests wait for their answer.
    let cut = tokio::time::timeout(Duration::from_millis(700), app.pipeline.run_once()).await;
    assert!(
        cut.is_err(),
        "the pass was still sending when it was cut off"
    );
    assert!(
        app.sandbox().stats().total_requests >= 1,
        "a request was in flight"
    );

    // Restart on the same database; the old leases must expire before the items are due.
    app.sandbox().set_faults(FaultConfig::default()).unwrap();
    let reopened = SqliteStore::open_in_dir(app.dir.path()).unwrap();
    assert!(reopened.migrate().await.unwrap().is_empty());
    app.store = Arc::new(reopened);
    app.reopen_pipeline();
    app.advance(Duration::from_secs(61));
    app.drain(Duration::from_secs(5), 20).await;

    assert_eq!(app.members(&list), digests(0..300));
    let adds = app.step_counts(add).await;
    assert_eq!(
        (
            adds.entered,
            adds.synced,
            adds.pending,
            adds.errored_total()
        ),
        (400, 400, 0, 0)
    );
    let removes = app.step_counts(remove).await;
    assert_eq!(
        (removes.entered, removes.synced, removes.pending),
        (100, 100, 0)
    );
}
