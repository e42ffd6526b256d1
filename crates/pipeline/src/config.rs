//! The pipeline's settings, each with its unit and default.

use std::time::Duration;

use pinsync_core::sync::retry::RetryPolicy;

use crate::ownership::Ownership;

/// Tunables of the sync pipeline.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// A partition's users are sent at the latest this long after the oldest entered its
    /// step. Default 5 s.
    pub flush_interval: Duration,
    /// Records in one customer-list PATCH. Default 1,900 (Pinterest's limit).
    pub max_records_per_request: usize,
    /// How long a claim holds its items if the worker neither finishes nor releases them
    /// (a crash). Default 60 s; must exceed the HTTP timeout.
    pub lease: Duration,
    /// How often the background loop looks for due work. Default 100 ms.
    pub tick: Duration,
    /// Batches of one connection in flight at once (claim, send and completion overlap;
    /// sends to one customer list are still one at a time). Default 4.
    pub batches_in_flight_per_connection: usize,
    /// The retry schedule, including the 13 h horizon.
    pub retry: RetryPolicy,
    /// How long graceful shutdown waits for in-flight requests. Default 30 s.
    pub shutdown_grace: Duration,
    /// How often each synced step's list and audience are polled on Pinterest. Default 10 min.
    pub status_poll_interval: Duration,
    /// How long after start nothing is sent. A process restarted after a crash cannot know
    /// what its predecessor sent just before it died, so `pinsync serve` (one instance) waits
    /// out the token's per-second window (1.1 s) before its first request. Default 0.
    pub start_quiet: Duration,
    /// The lease holder's name in `locked_by`.
    pub worker_id: String,
    /// Whether this instance owns every connection (one instance, the default) or leases
    /// them from the store (several instances on one database).
    pub ownership: Ownership,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            flush_interval: Duration::from_secs(5),
            max_records_per_request: 1_900,
            lease: Duration::from_secs(60),
            tick: Duration::from_millis(100),
            batches_in_flight_per_connection: 4,
            retry: RetryPolicy::default(),
            shutdown_grace: Duration::from_secs(30),
            status_poll_interval: Duration::from_secs(600),
            start_quiet: Duration::ZERO,
            worker_id: format!("pipeline-{}", std::process::id()),
            ownership: Ownership::Sole,
        }
    }
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
