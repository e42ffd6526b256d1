//! The [`ConsentStore`] part of the store: consent revocations. When a user's
//! `ad_tracking_enabled` turns false, one removal per audience the membership ledger holds the
//! user in is queued; the sync pipeline claims due removals with a lease, sends REMOVE for the
//! user's identifiers the ledger holds, and finishes each removal (which stays, for the trace).
//!
//! **Invariant:** consent removals are not step entries: no step counter changes with them, so
//! `entered = synced + not_synced + errored + pending` is untouched.

use async_trait::async_trait;
use pinsync_core::canvas::StepId;
use pinsync_core::reason::ReasonCode;
use serde::Serialize;

use crate::canvas_model::CanvasId;
use crate::error::StoreError;
use crate::model::WorkspaceId;

/// The id of a queued consent removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ConsentRemovalId(pub i64);

/// A removal to queue: the user, the audience, and the step whose target (ad account and
/// customer list) the audience is synced through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsentRemoval {
    pub workspace_id: WorkspaceId,
    pub external_id: String,
    pub audience_id: String,
    pub canvas_id: CanvasId,
    pub step_id: StepId,
}

/// Where a consent removal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentRemovalStatus {
    /// Queued or being retried.
    Pending,
    /// Pinterest acknowledged the REMOVE (or the ledger held nothing left to remove).
    Removed,
    /// Given up (retry horizon passed, audience deleted, …) with a reason.
    Errored,
}

impl ConsentRemovalStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentRemovalStatus::Pending => "pending",
            ConsentRemovalStatus::Removed => "removed",
            ConsentRemovalStatus::Errored => "errored",
        }
    }

    /// The status with this stored name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(ConsentRemovalStatus::Pending),
            "removed" => Some(ConsentRemovalStatus::Removed),
            "errored" => Some(ConsentRemovalStatus::Errored),
            _ => None,
        }
    }
}

/// One consent removal, as claimed by the pipeline and as the trace shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRemoval {
    pub id: ConsentRemovalId,
    pub workspace_id: WorkspaceId,
    pub external_id: String,
    pub audience_id: String,
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    /// When consent was revoked (ms): orders the removal after every earlier add.
    pub revoked_at: i64,
    pub status: ConsentRemovalStatus,
    /// Attempts made so far.
    pub attempts: u32,
    pub first_attempt_at: Option<i64>,
    /// Why the last attempt failed, or why the removal errored.
    pub reason: Option<String>,
    /// Pinterest's request ids of every attempt, oldest first.
    pub request_ids: Vec<String>,
    /// How many hashed identifiers the acknowledged REMOVE carried.
    pub records: u32,
    pub finished_at: Option<i64>,
}

/// A claim of due pending removals with a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentClaim {
    pub worker: String,
    pub now: i64,
    pub lease_until: i64,
    pub limit: u32,
}

/// How an attempt at some removals ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentOutcome {
    /// Pinterest acknowledged; `records` identifiers of each removal were sent.
    Removed {
        request_id: Option<String>,
        records: Vec<(ConsentRemovalId, u32)>,
    },
    /// Retry at `at` (the next attempt time is stored, never slept on).
    RetryAt {
        at: i64,
        reason: ReasonCode,
        request_id: Option<String>,
    },
    /// Not attempted (the connection is paused, or another instance owns it): the lease is
    /// given up and the removal waits until `until`; no attempt is counted.
    Held { until: i64 },
    /// Given up with a reason.
    Errored {
        reason: ReasonCode,
        request_id: Option<String>,
    },
}

/// Queuing, claiming and finishing consent removals.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// The audiences the ledger holds each of these users in as a member:
    /// `(external_id, audience_id)` pairs, each once.
    async fn ledger_audiences_of_users(
        &self,
        workspace: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<Vec<(String, String)>, StoreError>;

    /// Which of `external_ids` have ad tracking disabled right now (unknown users count as
    /// enabled): the pipeline drops their queued adds instead of sending them.
    async fn users_without_ad_tracking(
        &self,
        workspace: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<std::collections::HashSet<String>, StoreError>;

    /// Queues the removals whose user has ad tracking disabled right now and which have no
    /// pending removal of the same (user, audience) already; returns how many were queued.
    async fn enqueue_consent_removals(
        &self,
        removals: Vec<NewConsentRemoval>,
        now: i64,
    ) -> Result<u64, StoreError>;

    /// Leases up to `limit` pending removals whose next attempt time has come, oldest first.
    async fn claim_consent_removals(
        &self,
        claim: ConsentClaim,
    ) -> Result<Vec<ConsentRemoval>, StoreError>;

    /// Applies the outcome of an attempt to `ids` (held by `worker`), in one transaction.
    async fn finish_consent_removals(
        &self,
        ids: Vec<ConsentRemovalId>,
        worker: &str,
        outcome: ConsentOutcome,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Every consent removal of the user, oldest first.
    async fn consent_removals_of_user(
        &self,
        workspace: WorkspaceId,
        external_id: &str,
    ) -> Result<Vec<ConsentRemoval>, StoreError>;
}
