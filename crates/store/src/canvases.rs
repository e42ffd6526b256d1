//! The [`CanvasStore`] part of the store: Canvases and their lifecycle, entering users,
//! journeys and delay timers, exact step analytics, user traces, and the hand-over of sync
//! items to the sync pipeline.
//!
//! **Invariant:** every counter changes in the same transaction as the state change that
//! causes it, so per step `entered = proceeded + in_step` and, per audience-sync step,
//! `entered = synced + not_synced + errored + pending` hold at every instant.

use async_trait::async_trait;
use pinsync_core::canvas::{CanvasDefinition, StepId};

use crate::canvas_model::{
    CanvasChange, CanvasCounts, CanvasId, CanvasRecord, CanvasStatus, CompletionReport,
    DailyCounts, EntryCandidate, EntryResult, JourneyTrace, SyncItem, SyncItemId, SyncOutcome,
    TimerReport,
};
use crate::error::StoreError;
use crate::model::{UserProfile, WorkspaceId};

/// Canvases, journeys, delay timers, step analytics, and the hand-over of sync items.
#[async_trait]
pub trait CanvasStore: Send + Sync {
    /// Stores a new Canvas in `draft`.
    async fn create_canvas(
        &self,
        workspace: WorkspaceId,
        definition: CanvasDefinition,
        now: i64,
    ) -> Result<CanvasRecord, StoreError>;

    /// The Canvas with this id in this workspace, if any.
    async fn canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
    ) -> Result<Option<CanvasRecord>, StoreError>;

    /// The workspace's Canvases in id order; archived ones only when asked.
    async fn list_canvases(
        &self,
        workspace: WorkspaceId,
        include_archived: bool,
    ) -> Result<Vec<CanvasRecord>, StoreError>;

    /// Replaces the definition when the Canvas is in one of `allowed` statuses and none of
    /// `must_be_unused` has ever been entered (checked in the same transaction).
    async fn update_canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        definition: CanvasDefinition,
        allowed: &[CanvasStatus],
        must_be_unused: Vec<StepId>,
        now: i64,
    ) -> Result<CanvasChange, StoreError>;

    /// Moves the Canvas to `to` when its status is one of `from`; stamps the matching time.
    async fn set_canvas_status(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        from: &[CanvasStatus],
        to: CanvasStatus,
        now: i64,
    ) -> Result<CanvasChange, StoreError>;

    /// The steps of the Canvas that have ever been entered.
    async fn steps_with_history(&self, id: CanvasId) -> Result<Vec<StepId>, StoreError>;

    /// Upserts each candidate's profile, then enters them (re-entry policy permitting) and
    /// walks them until they wait or exit, all in one transaction; refused as a whole when
    /// the Canvas is not active.
    async fn enter_users(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        candidates: Vec<EntryCandidate>,
        now: i64,
    ) -> Result<EntryResult, StoreError>;

    /// Moves on up to `limit` journeys of active Canvases whose delay ended at or before
    /// `now`, in one transaction.
    async fn advance_due_journeys(&self, now: i64, limit: u32) -> Result<TimerReport, StoreError>;

    /// The earliest wake-up time of a journey in an active Canvas, if any.
    async fn next_wake_at(&self) -> Result<Option<i64>, StoreError>;

    /// Up to `limit` sync items of a (canvas, step) partition, in id order, after `after`.
    async fn sync_items(
        &self,
        id: CanvasId,
        step: &StepId,
        after: Option<SyncItemId>,
        limit: u32,
    ) -> Result<Vec<SyncItem>, StoreError>;

    /// Finishes sync items: moves each from `pending` to `synced`, `errored` or `not_synced`,
    /// records the outcome in the user's trace and deletes the item, in one transaction.
    async fn complete_sync_items(
        &self,
        outcomes: Vec<(SyncItemId, SyncOutcome)>,
        now: i64,
    ) -> Result<CompletionReport, StoreError>;

    /// The Canvas's counters summed over all days.
    async fn canvas_counts(&self, id: CanvasId) -> Result<CanvasCounts, StoreError>;

    /// The Canvas's counters per UTC day, for days `first_day..=last_day` that have any.
    async fn daily_counts(
        &self,
        id: CanvasId,
        first_day: i64,
        last_day: i64,
    ) -> Result<Vec<DailyCounts>, StoreError>;

    /// The counters recomputed from journeys, visits and sync items (for audits and tests).
    async fn recount_canvas(&self, id: CanvasId) -> Result<CanvasCounts, StoreError>;

    /// Every entry of the user into the Canvas, oldest first.
    async fn journey_traces(
        &self,
        id: CanvasId,
        external_id: &str,
    ) -> Result<Vec<JourneyTrace>, StoreError>;

    /// Up to `limit` profiles of the workspace in external-id order, after `after`.
    async fn users_page(
        &self,
        workspace: WorkspaceId,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<UserProfile>, StoreError>;
}
