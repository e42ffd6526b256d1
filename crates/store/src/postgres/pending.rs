//! Temporary: the parts of [`Store`](crate::Store) the PostgreSQL backend does not implement
//! yet, each answering an error. The canvas and sync stores replace theirs as they land, and
//! this file goes away with the last of them.

use std::collections::HashMap;

use async_trait::async_trait;
use pinsync_core::canvas::{CanvasDefinition, StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::sync::ledger::LedgerEntry;

use super::PgStore;
use crate::canvas_model::*;
use crate::error::StoreError;
use crate::model::{UserProfile, WorkspaceId};
use crate::sync::*;
use crate::{CanvasStore, SyncStore};

fn not_yet_implemented() -> StoreError {
    StoreError::Database("not yet implemented on PostgreSQL".into())
}

#[async_trait]
impl CanvasStore for PgStore {
    async fn create_canvas(
        &self,
        _workspace: WorkspaceId,
        _definition: CanvasDefinition,
        _now: i64,
    ) -> Result<CanvasRecord, StoreError> {
        Err(not_yet_implemented())
    }

    async fn canvas(
        &self,
        _workspace: WorkspaceId,
        _id: CanvasId,
    ) -> Result<Option<CanvasRecord>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn list_canvases(
        &self,
        _workspace: WorkspaceId,
        _include_archived: bool,
    ) -> Result<Vec<CanvasRecord>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn update_canvas(
        &self,
        _workspace: WorkspaceId,
        _id: CanvasId,
        _definition: CanvasDefinition,
        _allowed: &[CanvasStatus],
        _must_be_unused: Vec<StepId>,
        _now: i64,
    ) -> Result<CanvasChange, StoreError> {
        Err(not_yet_implemented())
    }

    async fn set_canvas_status(
        &self,
        _workspace: WorkspaceId,
        _id: CanvasId,
        _from: &[CanvasStatus],
        _to: CanvasStatus,
        _now: i64,
    ) -> Result<CanvasChange, StoreError> {
        Err(not_yet_implemented())
    }

    async fn steps_with_history(&self, _id: CanvasId) -> Result<Vec<StepId>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn enter_users(
        &self,
        _workspace: WorkspaceId,
        _id: CanvasId,
        _candidates: Vec<EntryCandidate>,
        _now: i64,
    ) -> Result<EntryResult, StoreError> {
        Err(not_yet_implemented())
    }

    async fn advance_due_journeys(
        &self,
        _now: i64,
        _limit: u32,
    ) -> Result<TimerReport, StoreError> {
        Err(not_yet_implemented())
    }

    async fn next_wake_at(&self) -> Result<Option<i64>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn sync_items(
        &self,
        _id: CanvasId,
        _step: &StepId,
        _after: Option<SyncItemId>,
        _limit: u32,
    ) -> Result<Vec<SyncItem>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn complete_sync_items(
        &self,
        _outcomes: Vec<(SyncItemId, SyncOutcome)>,
        _now: i64,
    ) -> Result<CompletionReport, StoreError> {
        Err(not_yet_implemented())
    }

    async fn canvas_counts(&self, _id: CanvasId) -> Result<CanvasCounts, StoreError> {
        Err(not_yet_implemented())
    }

    async fn daily_counts(
        &self,
        _id: CanvasId,
        _first_day: i64,
        _last_day: i64,
    ) -> Result<Vec<DailyCounts>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn recount_canvas(&self, _id: CanvasId) -> Result<CanvasCounts, StoreError> {
        Err(not_yet_implemented())
    }

    async fn journey_traces(
        &self,
        _id: CanvasId,
        _external_id: &str,
    ) -> Result<Vec<JourneyTrace>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn users_page(
        &self,
        _workspace: WorkspaceId,
        _after: Option<String>,
        _limit: u32,
    ) -> Result<Vec<UserProfile>, StoreError> {
        Err(not_yet_implemented())
    }
}

#[async_trait]
impl SyncStore for PgStore {
    async fn due_sync_partitions(&self, _now: i64) -> Result<Vec<DuePartition>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn sync_queue_depths(&self) -> Result<Vec<PartitionDepth>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn claim_sync_items(
        &self,
        _claim: ClaimRequest,
    ) -> Result<Vec<ClaimedSyncItem>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn release_sync_items(
        &self,
        _ids: Vec<SyncItemId>,
        _worker: &str,
    ) -> Result<(), StoreError> {
        Err(not_yet_implemented())
    }

    async fn record_sync_attempt(&self, _attempt: AttemptRecord) -> Result<(), StoreError> {
        Err(not_yet_implemented())
    }

    async fn sync_request_ids(
        &self,
        _ids: Vec<SyncItemId>,
    ) -> Result<HashMap<SyncItemId, Vec<String>>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn sync_attempts_of_visit(
        &self,
        _journey_id: i64,
        _visit_seq: i64,
    ) -> Result<Vec<AttemptTrace>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn expired_sync_items(
        &self,
        _canvas_id: CanvasId,
        _step_id: &StepId,
        _cutoff: i64,
        _limit: u32,
    ) -> Result<Vec<SyncItemId>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn ledger_entries(
        &self,
        _audience_id: &str,
        _identifiers: Vec<String>,
    ) -> Result<HashMap<String, LedgerEntry>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn ledger_members(
        &self,
        _audience_id: &str,
        _workspace_id: WorkspaceId,
        _external_ids: Vec<String>,
    ) -> Result<Vec<(String, IdentifierKind, String)>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn record_ledger(
        &self,
        _audience_id: &str,
        _writes: Vec<LedgerWrite>,
        _now: i64,
    ) -> Result<(), StoreError> {
        Err(not_yet_implemented())
    }

    async fn record_target_status(&self, _status: TargetStatus) -> Result<(), StoreError> {
        Err(not_yet_implemented())
    }

    async fn target_statuses(&self, _canvas_id: CanvasId) -> Result<Vec<TargetStatus>, StoreError> {
        Err(not_yet_implemented())
    }

    async fn requeue_errored_sync(
        &self,
        _canvas_id: CanvasId,
        _step_id: &StepId,
        _action: SyncAction,
        _match_fields: Vec<IdentifierKind>,
        _now: i64,
    ) -> Result<u64, StoreError> {
        Err(not_yet_implemented())
    }
}
