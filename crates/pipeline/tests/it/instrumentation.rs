//! The telemetry spec: every pipeline metric in `docs/instrumentation.md` is emitted.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use pinsync_core::metrics::{
    SYNC_BATCH_FILL_RATIO, SYNC_END_TO_END_LATENCY_SECONDS, SYNC_LIMITER_WAIT_SECONDS,
    SYNC_QUEUE_DEPTH, SYNC_RECORDS_SENT_TOTAL, SYNC_REQUESTS_TOTAL, SYNC_RETRIES_TOTAL,
};
use pinsync_pipeline::PipelineSettings;
use pinsync_sandbox::FaultConfig;
use pinsync_store::SyncStore;

use crate::support::{Harness, sandbox_config, test_settings};

/// The process-wide Prometheus recorder (spawned tasks report to the global recorder only).
fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).unwrap();
        handle
    })
}

#[tokio::test]
async fn every_pipeline_metric_is_emitted_with_its_labels() {
    let handle = prometheus();
    let settings = PipelineSettings {
        max_records_per_request: 50,
        status_poll_interval: Duration::from_secs(0),
        tick: Duration::from_millis(1),
        ..test_settings()
    };
    let app = Harness::start_with(sandbox_config(), settings).await;
    let (audience, list) = app.audience("metrics").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 0..120).await;
    app.advance(Duration::from_secs(5));

    app.sandbox()
        .set_faults(FaultConfig {
            rate_limit_fraction: 1.0,
            ..FaultConfig::default()
        })
        .unwrap();
    app.run_once().await;
    app.sandbox().set_faults(FaultConfig::default()).unwrap();
    app.advance(Duration::from_secs(600));

    // The background loop also publishes the queue depth and polls statuses.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = app.pipeline.clone();
    let background = async move {
        running
            .run(async {
                let _ = stopped.await;
            })
            .await
    };
    let drive = async {
        while app.pending_total().await > 0
            || app.store.target_statuses(canvas).await.unwrap().is_empty()
        {
            tokio::task::yield_now().await;
        }
        let _ = stop.send(());
    };
    tokio::join!(background, drive);
    let statuses = app.store.target_statuses(canvas).await.unwrap();
    assert_eq!(
        statuses.len(),
        1,
        "the step's list and audience were polled"
    );
    assert!(statuses[0].uploaded_records >= 120);

    let rendered = handle.render();
    for (name, label) in [
        (SYNC_REQUESTS_TOTAL, "outcome=\"success\""),
        (SYNC_REQUESTS_TOTAL, "outcome=\"rate_limited\""),
        (SYNC_RECORDS_SENT_TOTAL, "match_field=\"email\""),
        (SYNC_QUEUE_DEPTH, "connection_id=\"conn-1\""),
        (SYNC_LIMITER_WAIT_SECONDS, ""),
        (SYNC_END_TO_END_LATENCY_SECONDS, "action=\"add\""),
        (SYNC_BATCH_FILL_RATIO, ""),
        (SYNC_RETRIES_TOTAL, "reason=\"rate_limited\""),
    ] {
        assert!(
            rendered
                .lines()
                .any(|line| line.starts_with(name) && line.contains(label)),
            "{name} with {label} missing from:\n{rendered}"
        );
    }
}
