//! PostgreSQL implementation of [`crate::CanvasStore`]: each method is one transaction,
//! delegated to the file of its concern (Canvases, journeys, sync items, analytics). Reads of
//! several statements run in one read-only snapshot ([`PgStore::in_snapshot`]).

#[path = "canvases_analytics.rs"]
mod analytics;
#[path = "canvases_counters.rs"]
pub(super) mod counters;
#[path = "canvases_crud.rs"]
mod crud;
#[path = "canvases_journeys.rs"]
mod journeys;
#[path = "canvases_sync_items.rs"]
pub(super) mod sync_items;
#[path = "canvases_walks.rs"]
mod walks;

use async_trait::async_trait;
use pinsync_core::canvas::{CanvasDefinition, StepId};
use sqlx::PgConnection;

use super::{PgStore, TxFuture};
use crate::CanvasStore;
use crate::canvas_model::{
    CanvasChange, CanvasCounts, CanvasId, CanvasRecord, CanvasStatus, CompletionReport,
    DailyCounts, EntryCandidate, EntryResult, JourneyTrace, SyncItem, SyncItemId, SyncOutcome,
    TimerReport,
};
use crate::error::StoreError;
use crate::model::{UserProfile, WorkspaceId};

impl PgStore {
    /// Runs `work` in one `REPEATABLE READ, READ ONLY` transaction, so that a read of several
    /// statements sees one state of the database.
    pub(super) async fn in_snapshot<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> FnOnce(&'c mut PgConnection) -> TxFuture<'c, T> + Send,
    {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let value = work(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// Runs `work` on a pooled connection, outside any explicit transaction (for reads of
    /// one statement, which is a transaction of its own).
    pub(super) async fn on_connection<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> FnOnce(&'c mut PgConnection) -> TxFuture<'c, T> + Send,
    {
        let mut conn = self.pool().acquire().await?;
        work(&mut conn).await
    }
}

#[async_trait]
impl CanvasStore for PgStore {
    async fn create_canvas(
        &self,
        workspace: WorkspaceId,
        definition: CanvasDefinition,
        now: i64,
    ) -> Result<CanvasRecord, StoreError> {
        self.on_connection(move |conn| Box::pin(crud::create(conn, workspace, definition, now)))
            .await
    }

    async fn canvas(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
    ) -> Result<Option<CanvasRecord>, StoreError> {
        self.on_connection(move |conn| {
            Box::pin(crud::fetch(conn, Some(workspace), id, crud::Lock::None))
        })
        .await
    }

    async fn list_canvases(
        &self,
        workspace: WorkspaceId,
        include_archived: bool,
    ) -> Result<Vec<CanvasRecord>, StoreError> {
        self.on_connection(move |conn| Box::pin(crud::list(conn, workspace, include_archived)))
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
        self.in_transaction(move |tx| {
            Box::pin(async move {
                crud::update(
                    tx,
                    workspace,
                    id,
                    definition,
                    &allowed,
                    &must_be_unused,
                    now,
                )
                .await
            })
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
        self.in_transaction(move |tx| {
            Box::pin(async move { crud::set_status(tx, workspace, id, &from, to, now).await })
        })
        .await
    }

    async fn steps_with_history(&self, id: CanvasId) -> Result<Vec<StepId>, StoreError> {
        self.on_connection(move |conn| Box::pin(counters::steps_with_history(conn, id)))
            .await
    }

    async fn enter_users(
        &self,
        workspace: WorkspaceId,
        id: CanvasId,
        candidates: Vec<EntryCandidate>,
        now: i64,
    ) -> Result<EntryResult, StoreError> {
        self.in_transaction(move |tx| Box::pin(journeys::enter(tx, workspace, id, candidates, now)))
            .await
    }

    async fn advance_due_journeys(&self, now: i64, limit: u32) -> Result<TimerReport, StoreError> {
        self.in_transaction(move |tx| Box::pin(journeys::advance_due(tx, now, limit)))
            .await
    }

    async fn next_wake_at(&self) -> Result<Option<i64>, StoreError> {
        self.on_connection(|conn| Box::pin(journeys::next_wake_at(conn)))
            .await
    }

    async fn sync_items(
        &self,
        id: CanvasId,
        step: &StepId,
        after: Option<SyncItemId>,
        limit: u32,
    ) -> Result<Vec<SyncItem>, StoreError> {
        let step = step.clone();
        self.on_connection(move |conn| {
            Box::pin(async move { sync_items::list(conn, id, &step, after, limit).await })
        })
        .await
    }

    async fn complete_sync_items(
        &self,
        outcomes: Vec<(SyncItemId, SyncOutcome)>,
        now: i64,
    ) -> Result<CompletionReport, StoreError> {
        self.in_transaction(move |tx| {
            Box::pin(async move { sync_items::complete(tx, &outcomes, now).await })
        })
        .await
    }

    async fn canvas_counts(&self, id: CanvasId) -> Result<CanvasCounts, StoreError> {
        self.on_connection(move |conn| Box::pin(analytics::totals(conn, id)))
            .await
    }

    async fn daily_counts(
        &self,
        id: CanvasId,
        first_day: i64,
        last_day: i64,
    ) -> Result<Vec<DailyCounts>, StoreError> {
        self.on_connection(move |conn| Box::pin(analytics::daily(conn, id, first_day, last_day)))
            .await
    }

    async fn recount_canvas(&self, id: CanvasId) -> Result<CanvasCounts, StoreError> {
        self.in_snapshot(move |tx| Box::pin(analytics::recount(tx, id)))
            .await
    }

    async fn journey_traces(
        &self,
        id: CanvasId,
        external_id: &str,
    ) -> Result<Vec<JourneyTrace>, StoreError> {
        let external_id = external_id.to_owned();
        self.in_snapshot(move |tx| {
            Box::pin(async move { analytics::traces(tx, id, &external_id).await })
        })
        .await
    }

    async fn users_page(
        &self,
        workspace: WorkspaceId,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<UserProfile>, StoreError> {
        self.on_connection(move |conn| {
            Box::pin(
                async move { journeys::users_page(conn, workspace, after.as_deref(), limit).await },
            )
        })
        .await
    }
}
