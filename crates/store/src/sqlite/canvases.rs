//! SQLite implementation of [`crate::CanvasStore`]: each method is one transaction, delegated
//! to the file of its concern (Canvases, journeys, sync items, analytics).

#[path = "canvases_analytics.rs"]
mod analytics;
#[path = "canvases_counters.rs"]
mod counters;
#[path = "canvases_crud.rs"]
mod crud;
#[path = "canvases_journeys.rs"]
mod journeys;
#[path = "canvases_sync_items.rs"]
pub(super) mod sync_items;

use async_trait::async_trait;
use pinsync_core::canvas::{CanvasDefinition, StepId};

use super::SqliteStore;
use crate::CanvasStore;
use crate::canvas_model::{
    CanvasChange, CanvasCounts, CanvasId, CanvasRecord, CanvasStatus, CompletionReport,
    DailyCounts, EntryCandidate, EntryResult, JourneyTrace, SyncItem, SyncItemId, SyncOutcome,
    TimerReport,
};
use crate::error::StoreError;
use crate::model::{UserProfile, WorkspaceId};

#[async_trait]
impl CanvasStore for SqliteStore {
    async fn create_canvas(
        &self,
        workspace: WorkspaceId,
        definition: CanvasDefinition,
        now: i64,
    ) -> Result<CanvasRecord, StoreError> {
        self.write(move |tx| crud::create(tx, workspace, definition, now))
            .await
    }

    async fn canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
    ) -> Result<Option<CanvasRecord>, StoreError> {
        self.read(move |conn| crud::fetch(conn, Some(workspace), id))
            .await
    }

    async fn list_canvases(
        &self,
        workspace: WorkspaceId,
        include_archived: bool,
    ) -> Result<Vec<CanvasRecord>, StoreError> {
        self.read(move |conn| crud::list(conn, workspace, include_archived))
            .await
    }

    async fn update_canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        definition: CanvasDefinition,
        allowed: &[CanvasStatus],
        must_be_unused: Vec<StepId>,
        now: i64,
    ) -> Result<CanvasChange, StoreError> {
        let allowed = allowed.to_vec();
        self.write(move |tx| {
            crud::update(
                tx,
                workspace,
                id,
                definition,
                &allowed,
                &must_be_unused,
                now,
            )
        })
        .await
    }

    async fn set_canvas_status(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        from: &[CanvasStatus],
        to: CanvasStatus,
        now: i64,
    ) -> Result<CanvasChange, StoreError> {
        let from = from.to_vec();
        self.write(move |tx| crud::set_status(tx, workspace, id, &from, to, now))
            .await
    }

    async fn steps_with_history(&self, id: CanvasId) -> Result<Vec<StepId>, StoreError> {
        self.read(move |conn| counters::steps_with_history(conn, id))
            .await
    }

    async fn enter_users(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        candidates: Vec<EntryCandidate>,
        now: i64,
    ) -> Result<EntryResult, StoreError> {
        self.write(move |tx| journeys::enter(tx, workspace, id, candidates, now))
            .await
    }

    async fn advance_due_journeys(&self, now: i64, limit: u32) -> Result<TimerReport, StoreError> {
        self.write(move |tx| journeys::advance_due(tx, now, limit))
            .await
    }

    async fn next_wake_at(&self) -> Result<Option<i64>, StoreError> {
        self.read(journeys::next_wake_at).await
    }

    async fn sync_items(
        &self,
        id: CanvasId,
        step: &StepId,
        after: Option<SyncItemId>,
        limit: u32,
    ) -> Result<Vec<SyncItem>, StoreError> {
        let step = step.clone();
        self.read(move |conn| sync_items::list(conn, id, &step, after, limit))
            .await
    }

    async fn complete_sync_items(
        &self,
        outcomes: Vec<(SyncItemId, SyncOutcome)>,
        now: i64,
    ) -> Result<CompletionReport, StoreError> {
        self.write(move |tx| sync_items::complete(tx, &outcomes, now))
            .await
    }

    async fn canvas_counts(&self, id: CanvasId) -> Result<CanvasCounts, StoreError> {
        self.read(move |conn| analytics::totals(conn, id)).await
    }

    async fn daily_counts(
        &self,
        id: CanvasId,
        first_day: i64,
        last_day: i64,
    ) -> Result<Vec<DailyCounts>, StoreError> {
        self.read(move |conn| analytics::daily(conn, id, first_day, last_day))
            .await
    }

    async fn recount_canvas(&self, id: CanvasId) -> Result<CanvasCounts, StoreError> {
        self.read(move |conn| analytics::recount(conn, id)).await
    }

    async fn journey_traces(
        &self,
        id: CanvasId,
        external_id: &str,
    ) -> Result<Vec<JourneyTrace>, StoreError> {
        let external_id = external_id.to_owned();
        self.read(move |conn| analytics::traces(conn, id, &external_id))
            .await
    }

    async fn users_page(
        &self,
        workspace: WorkspaceId,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<UserProfile>, StoreError> {
        self.read(move |conn| journeys::users_page(conn, workspace, after.as_deref(), limit))
            .await
    }
}
