//! The [`SyncStore`] part of the store: what the sync pipeline reads and writes besides the
//! hand-over in [`crate::CanvasStore`]: due partitions, claims of sync items with leases,
//! attempts and their stored next attempt time, the membership ledger, and the
//! Pinterest-side status of each step's list and audience.
//!
//! **Invariant:** a claim is a lease. A worker that dies keeps nothing: once `locked_until`
//! passes, the items are due again and another claim takes them.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::reason::ReasonCode;
use pinsync_core::sync::ledger::LedgerEntry;
use serde::Serialize;

use crate::canvas_model::{CanvasId, CompletionReport, SyncItem, SyncItemId, SyncOutcome};
use crate::canvases::CanvasStore;
use crate::error::StoreError;
use crate::model::WorkspaceId;

/// How many due items [`SyncStore::due_sync_partitions`] looks at per partition, at most, in
/// id order: more than a request's 1,900 records can use, so a partition whose count stops
/// here holds a full request whatever lies beyond, and a scan costs about the same for a
/// thousand pending users as for ten million.
pub const DUE_ITEMS_COUNTED: u32 = 2_000;

/// The sync items of one (canvas, step) that may be claimed now, as far as they were counted:
/// the first [`DUE_ITEMS_COUNTED`] of them in id order (all of them when fewer are due).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePartition {
    pub workspace_id: WorkspaceId,
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    /// Unleased items whose next attempt time has come (counted up to
    /// [`DUE_ITEMS_COUNTED`]).
    pub items: u64,
    /// Their hashed identifiers, all kinds together.
    pub records: u64,
    /// The earliest `entered_at` among them (ms).
    pub oldest_entered_at: i64,
    /// Whether any of them was attempted before (a due retry).
    pub holds_retries: bool,
}

/// Every item still pending in one (canvas, step), leased or not, due or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionDepth {
    pub workspace_id: WorkspaceId,
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    pub items: u64,
}

/// A claim of up to `limit` due items of one partition, in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    /// Who holds the lease (a worker id), for `locked_by`.
    pub worker: String,
    pub now: i64,
    /// When the lease ends if the worker neither finishes nor releases the items.
    pub lease_until: i64,
    pub limit: u32,
}

/// A claimed sync item with the pipeline's own bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedSyncItem {
    pub item: SyncItem,
    /// When the item was first sent, if it was.
    pub first_attempt_at: Option<i64>,
    /// The journey visit that recorded the item (its place in the user's trace).
    pub visit_seq: i64,
}

/// One attempt at sending some items: the request's outcome, recorded for the trace, and
/// (for a retry) the stored next attempt time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub item_ids: Vec<SyncItemId>,
    /// Pinterest's `x-pinterest-rid`, when there was a response.
    pub request_id: Option<String>,
    /// `success` or the failure's reason name.
    pub outcome: String,
    pub reason: Option<ReasonCode>,
    /// `Some(t)`: release the items and make them due again at `t`.
    pub retry_at: Option<i64>,
    pub now: i64,
}

/// A ledger change after Pinterest acknowledged an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerWrite {
    pub identifier_sha256: String,
    pub kind: IdentifierKind,
    pub workspace_id: WorkspaceId,
    pub external_id: String,
    pub entry: LedgerEntry,
}

/// Everything the outcome of one batch writes: the ledger changes Pinterest acknowledged, the
/// attempts for the trace (and any retry times), and the items finished. A backend applies it
/// in one transaction ([`SyncStore::settle_sync_batch`]), in this order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchSettlement {
    /// The audience the ledger writes belong to (ignored when `ledger` is empty).
    pub audience_id: String,
    pub ledger: Vec<LedgerWrite>,
    pub attempts: Vec<AttemptRecord>,
    /// Items finished with their outcome; `pending` moves to the outcome's counter.
    pub completions: Vec<(SyncItemId, SyncOutcome)>,
    pub now: i64,
}

impl BatchSettlement {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ledger.is_empty() && self.attempts.is_empty() && self.completions.is_empty()
    }

    /// Splits the attempts for writing: the last attempt of an item completed here (and not
    /// rescheduled) is logged as the item is deleted, without first updating the row that is
    /// about to go; every other attempt is logged first, in order. Both backends write a
    /// settlement this way.
    pub(crate) fn split_attempts(&self) -> SplitAttempts<'_> {
        let completing: HashSet<SyncItemId> = self.completions.iter().map(|(id, _)| *id).collect();
        let mut last_attempt: HashMap<SyncItemId, usize> = HashMap::new();
        for (index, attempt) in self.attempts.iter().enumerate() {
            for id in &attempt.item_ids {
                last_attempt.insert(*id, index);
            }
        }
        let mut split = SplitAttempts {
            logged_first: Vec::new(),
            finishing: HashMap::new(),
        };
        for (index, attempt) in self.attempts.iter().enumerate() {
            let mut logged_now = Vec::new();
            for id in &attempt.item_ids {
                let finishes = attempt.retry_at.is_none()
                    && completing.contains(id)
                    && last_attempt.get(id) == Some(&index);
                if finishes {
                    split.finishing.insert(
                        *id,
                        LoggedAttempt {
                            request_id: attempt.request_id.as_deref(),
                            outcome: &attempt.outcome,
                            reason: attempt.reason.map(|reason| reason.as_str()),
                            at: attempt.now,
                        },
                    );
                } else {
                    logged_now.push(*id);
                }
            }
            if !logged_now.is_empty() {
                split.logged_first.push(AttemptRecord {
                    item_ids: logged_now,
                    ..attempt.clone()
                });
            }
        }
        split
    }
}

/// A settlement's attempts as a backend writes them ([`BatchSettlement::split_attempts`]).
#[derive(Debug)]
pub(crate) struct SplitAttempts<'a> {
    /// Logged before the completions, in order, each with its own retry time.
    pub logged_first: Vec<AttemptRecord>,
    /// Per completed item, the attempt that finished it.
    pub finishing: HashMap<SyncItemId, LoggedAttempt<'a>>,
}

/// One attempt as the log (`sync_attempts`) records it for the trace. The attempt that
/// finishes an item is logged as the item is deleted: its number is the item's stored attempt
/// count plus one, so the item's row is not updated first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoggedAttempt<'a> {
    pub request_id: Option<&'a str>,
    pub outcome: &'a str,
    pub reason: Option<&'static str>,
    pub at: i64,
}

/// One attempt as the user's trace shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptTrace {
    pub attempt: u32,
    pub request_id: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub at: i64,
}

/// The last poll of a step's customer list and audience on Pinterest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetStatus {
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    pub audience_id: String,
    pub customer_list_id: String,
    pub list_status: Option<String>,
    pub audience_status: Option<String>,
    /// Matched users Pinterest reports (0 or absent below about 100).
    pub audience_size: Option<u64>,
    pub uploaded_records: u64,
    pub removed_records: u64,
    /// Why the last poll failed, if it did.
    pub error: Option<String>,
    pub polled_at: i64,
}

impl TargetStatus {
    /// Audience size ÷ records uploaded: Pinterest reports sizes only, never per-user matches.
    pub fn estimated_match_rate(&self) -> Option<f64> {
        let size = self.audience_size?;
        (self.uploaded_records > 0).then(|| size as f64 / self.uploaded_records as f64)
    }
}

/// Claiming and finishing sync work, the membership ledger, the request log. Finishing items
/// is [`CanvasStore::complete_sync_items`], hence the supertrait.
#[async_trait]
pub trait SyncStore: CanvasStore + Send + Sync {
    /// Partitions with unleased items whose next attempt time is at or before `now`, each
    /// counted over its first [`DUE_ITEMS_COUNTED`] such items, in (canvas, step) order.
    async fn due_sync_partitions(&self, now: i64) -> Result<Vec<DuePartition>, StoreError>;

    /// Pending items per partition (the queue depth).
    async fn sync_queue_depths(&self) -> Result<Vec<PartitionDepth>, StoreError>;

    /// Leases up to `limit` due, unleased items of the partition, in id order.
    async fn claim_sync_items(
        &self,
        claim: ClaimRequest,
    ) -> Result<Vec<ClaimedSyncItem>, StoreError>;

    /// Gives up `worker`'s lease on these items without counting an attempt.
    async fn release_sync_items(
        &self,
        ids: Vec<SyncItemId>,
        worker: &str,
    ) -> Result<(), StoreError>;

    /// Counts one attempt of each item, stamps the first attempt time, logs it for the
    /// trace and, for a retry, stores the next attempt time and releases the lease.
    async fn record_sync_attempt(&self, attempt: AttemptRecord) -> Result<(), StoreError>;

    /// The request ids of every attempt of these items, oldest first.
    async fn sync_request_ids(
        &self,
        ids: Vec<SyncItemId>,
    ) -> Result<HashMap<SyncItemId, Vec<String>>, StoreError>;

    /// Every attempt of the item that a journey's visit produced, oldest first.
    async fn sync_attempts_of_visit(
        &self,
        journey_id: i64,
        visit_seq: i64,
    ) -> Result<Vec<AttemptTrace>, StoreError>;

    /// Items of the partition whose first attempt (or entry, if never attempted) is at or
    /// before `cutoff`: they have outlived the retry horizon.
    async fn expired_sync_items(
        &self,
        canvas_id: CanvasId,
        step_id: &StepId,
        cutoff: i64,
        limit: u32,
    ) -> Result<Vec<SyncItemId>, StoreError>;

    /// The ledger's entries for these identifiers in the audience.
    async fn ledger_entries(
        &self,
        audience_id: &str,
        identifiers: Vec<String>,
    ) -> Result<HashMap<String, LedgerEntry>, StoreError>;

    /// Every identifier the ledger says these users have as members of the audience.
    async fn ledger_members(
        &self,
        audience_id: &str,
        workspace_id: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<Vec<(String, IdentifierKind, String)>, StoreError>;

    /// Applies acknowledged operations; an entry older than the stored one is ignored.
    async fn record_ledger(
        &self,
        audience_id: &str,
        writes: Vec<LedgerWrite>,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Applies a batch's outcome: [`Self::record_ledger`], then [`Self::record_sync_attempt`]
    /// for each attempt, then [`CanvasStore::complete_sync_items`]. This default makes one
    /// transaction of each; a backend should override it with a single transaction, since the
    /// writer's transactions per batch bound how many connections drain in parallel.
    async fn settle_sync_batch(
        &self,
        batch: BatchSettlement,
    ) -> Result<CompletionReport, StoreError> {
        if !batch.ledger.is_empty() {
            self.record_ledger(&batch.audience_id, batch.ledger, batch.now)
                .await?;
        }
        for attempt in batch.attempts {
            self.record_sync_attempt(attempt).await?;
        }
        if batch.completions.is_empty() {
            return Ok(CompletionReport::default());
        }
        self.complete_sync_items(batch.completions, batch.now).await
    }

    /// Stores the last poll of a step's list and audience.
    async fn record_target_status(&self, status: TargetStatus) -> Result<(), StoreError>;

    /// The last poll of each synced step of the Canvas.
    async fn target_statuses(&self, canvas_id: CanvasId) -> Result<Vec<TargetStatus>, StoreError>;

    /// `retry_errored`: every errored user of the step goes back to `pending` as a new sync
    /// item with its current identifiers among `match_fields` (users with none, or with ad
    /// tracking disabled, stay errored). Counters move in the same transaction. Returns how
    /// many users were requeued.
    async fn requeue_errored_sync(
        &self,
        canvas_id: CanvasId,
        step_id: &StepId,
        action: SyncAction,
        match_fields: Vec<IdentifierKind>,
        now: i64,
    ) -> Result<u64, StoreError>;
}
