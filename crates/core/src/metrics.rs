//! Prometheus metric names and the step analytics metric names used by the API. Names follow
//! `pinsync_<name>_<unit>_total`; every label value listed here is from a bounded set.

use std::fmt;

use serde::{Deserialize, Serialize};

/// HTTP requests served. Labels: `method`, `route` (the route template, never the raw
/// path), `status` (the numeric status code).
pub const HTTP_REQUESTS_TOTAL: &str = "pinsync_http_requests_total";

/// Users created or updated through `users/track`. Labels: none.
pub const USERS_TRACKED_TOTAL: &str = "pinsync_users_tracked_total";

/// Users who entered a Canvas. Labels: `canvas_id`.
pub const CANVAS_ENTRIES_TOTAL: &str = "pinsync_canvas_entries_total";

/// Identifier records sent to Pinterest in audience writes. Labels: `action` (`add` or
/// `remove`), `match_field` (`email`, `gaid`, `idfa`).
pub const SYNC_RECORDS_SENT_TOTAL: &str = "pinsync_sync_records_sent_total";

/// Audience-write requests made to Pinterest. Labels: `outcome` (`success` or a
/// `ReasonCode` name).
pub const SYNC_REQUESTS_TOTAL: &str = "pinsync_sync_requests_total";

/// Gauge: users waiting to be sent to Pinterest. Labels: `connection_id`.
pub const SYNC_QUEUE_DEPTH: &str = "pinsync_sync_queue_depth";

/// Histogram: seconds a request waited for the per-token rate limiter. Labels: none.
pub const SYNC_LIMITER_WAIT_SECONDS: &str = "pinsync_sync_limiter_wait_seconds";

/// Histogram: seconds from a user entering a step to Pinterest accepting the record.
/// Labels: `action`.
pub const SYNC_END_TO_END_LATENCY_SECONDS: &str = "pinsync_sync_end_to_end_latency_seconds";

/// Histogram: records in a request divided by the per-request maximum (1,900), 0 to 1.
/// Labels: none.
pub const SYNC_BATCH_FILL_RATIO: &str = "pinsync_sync_batch_fill_ratio";

/// Audience-write requests retried. Labels: `reason` (a `ReasonCode` name).
pub const SYNC_RETRIES_TOTAL: &str = "pinsync_sync_retries_total";

/// Gauge: connections whose lease this instance holds (it alone sends for them). Labels:
/// none.
pub const SYNC_CONNECTIONS_OWNED: &str = "pinsync_sync_connections_owned";

/// Connection leases this instance took, lost or gave back. Labels: `change` (`taken`,
/// `lost`, `released`).
pub const SYNC_LEASE_CHANGES_TOTAL: &str = "pinsync_sync_lease_changes_total";

/// Step analytics counter name for a Canvas step. Labels: `canvas_id`, `step_id`, `metric`
/// (a `StepMetric` name).
pub const STEP_USERS_TOTAL: &str = "pinsync_step_users_total";

/// Every metric name above, for spec tests that check each is emitted.
pub const ALL_METRIC_NAMES: &[&str] = &[
    HTTP_REQUESTS_TOTAL,
    USERS_TRACKED_TOTAL,
    CANVAS_ENTRIES_TOTAL,
    SYNC_RECORDS_SENT_TOTAL,
    SYNC_REQUESTS_TOTAL,
    SYNC_QUEUE_DEPTH,
    SYNC_LIMITER_WAIT_SECONDS,
    SYNC_END_TO_END_LATENCY_SECONDS,
    SYNC_BATCH_FILL_RATIO,
    SYNC_RETRIES_TOTAL,
    SYNC_CONNECTIONS_OWNED,
    SYNC_LEASE_CHANGES_TOTAL,
    STEP_USERS_TOTAL,
];

/// The per-step analytics shown for an Audience Sync step (and, where they apply, others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepMetric {
    /// Users who entered the step.
    Entered,
    /// Users who moved on to the next step (or exited, when the step ends its branch).
    Proceeded,
    /// Users successfully synced to Pinterest.
    Synced,
    /// Users not synced because none of the match fields was usable.
    NotSynced,
    /// Users currently being processed for sync.
    Pending,
    /// Users not synced because of API errors after the retry window.
    Errored,
    /// Users who left the Canvas because the step was the last of its branch.
    Exited,
}

impl StepMetric {
    /// Every step metric, in declaration order.
    pub const ALL: &'static [StepMetric] = &[
        StepMetric::Entered,
        StepMetric::Proceeded,
        StepMetric::Synced,
        StepMetric::NotSynced,
        StepMetric::Pending,
        StepMetric::Errored,
        StepMetric::Exited,
    ];

    /// The stable snake_case name, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepMetric::Entered => "entered",
            StepMetric::Proceeded => "proceeded",
            StepMetric::Synced => "synced",
            StepMetric::NotSynced => "not_synced",
            StepMetric::Pending => "pending",
            StepMetric::Errored => "errored",
            StepMetric::Exited => "exited",
        }
    }

    /// The step metric with this snake_case name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        StepMetric::ALL
            .iter()
            .copied()
            .find(|metric| metric.as_str() == s)
    }
}

impl fmt::Display for StepMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
