//! Operational telemetry of the HTTP layer: the process-wide Prometheus recorder, a request
//! counter labelled by route template (never by raw path, which may carry user ids), and one
//! structured log line per request.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use pinsync_core::metrics::HTTP_REQUESTS_TOTAL;

/// The process-wide Prometheus handle; installs the recorder on first use.
pub fn prometheus_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding test binary);
            // the handle still renders what this recorder sees.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts and logs every request by method, route template and status.
pub async fn record_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics::counter!(
        HTTP_REQUESTS_TOTAL,
        "method" => method.to_string(),
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    tracing::info!(
        %method,
        route,
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "http request"
    );
    response
}
