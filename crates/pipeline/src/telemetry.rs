//! The pipeline's metrics, named in `pinsync_core::metrics` and documented in
//! `docs/instrumentation.md`. Label values come from bounded sets only.

use std::time::Duration;

use pinsync_core::canvas::SyncAction;
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::metrics::{
    SYNC_BATCH_FILL_RATIO, SYNC_CONNECTIONS_OWNED, SYNC_END_TO_END_LATENCY_SECONDS,
    SYNC_LEASE_CHANGES_TOTAL, SYNC_LIMITER_WAIT_SECONDS, SYNC_QUEUE_DEPTH, SYNC_RECORDS_SENT_TOTAL,
    SYNC_REQUESTS_TOTAL, SYNC_RETRIES_TOTAL,
};
use pinsync_core::reason::ReasonCode;

/// One audience-write request ended with `outcome` (`success` or a reason name).
pub(crate) fn request(outcome: &'static str) {
    metrics::counter!(SYNC_REQUESTS_TOTAL, "outcome" => outcome).increment(1);
}

/// Records of one kind accepted by Pinterest.
pub(crate) fn records_sent(action: SyncAction, kind: IdentifierKind, count: u64) {
    metrics::counter!(
        SYNC_RECORDS_SENT_TOTAL,
        "action" => action.as_str(),
        "match_field" => kind.as_str()
    )
    .increment(count);
}

/// A request's fill: records ÷ the per-request maximum.
pub(crate) fn batch_fill(records: usize, max_records: usize) {
    let ratio = records as f64 / max_records.max(1) as f64;
    metrics::histogram!(SYNC_BATCH_FILL_RATIO).record(ratio.min(1.0));
}

/// How long a request waited for its connection's limiter.
pub(crate) fn limiter_wait(wait: Duration) {
    metrics::histogram!(SYNC_LIMITER_WAIT_SECONDS).record(wait.as_secs_f64());
}

/// Users of a failed request scheduled for another attempt.
pub(crate) fn retries(reason: ReasonCode, users: u64) {
    metrics::counter!(SYNC_RETRIES_TOTAL, "reason" => reason.as_str()).increment(users);
}

/// From entering the step to Pinterest's acknowledgement, per user.
pub(crate) fn end_to_end(action: SyncAction, millis: i64) {
    metrics::histogram!(SYNC_END_TO_END_LATENCY_SECONDS, "action" => action.as_str())
        .record(millis.max(0) as f64 / 1_000.0);
}

/// Users waiting for one connection (all its partitions).
pub(crate) fn queue_depth(connection: &str, items: u64) {
    metrics::gauge!(SYNC_QUEUE_DEPTH, "connection_id" => connection.to_owned()).set(items as f64);
}

/// This instance took (`taken`), lost (`lost`) or gave back (`released`) a connection's
/// lease; `owned` is how many it holds now.
pub(crate) fn lease_change(change: &'static str, owned: usize) {
    metrics::counter!(SYNC_LEASE_CHANGES_TOTAL, "change" => change).increment(1);
    metrics::gauge!(SYNC_CONNECTIONS_OWNED).set(owned as f64);
}
