//! PostgreSQL implementation of [`crate::SyncStore`]: each method is one transaction,
//! delegated to the file of its concern (claims and attempts, the ledger and target statuses,
//! `retry_errored`). Settling a batch (ledger, attempts, completions) is one transaction too.

#[path = "sync_claims.rs"]
mod claims;
#[path = "sync_ledger.rs"]
mod ledger;
#[path = "sync_requeue.rs"]
mod requeue;

use std::collections::HashMap;

use async_trait::async_trait;
use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::sync::ledger::LedgerEntry;

use super::PgStore;
use crate::SyncStore;
use crate::canvas_model::{CanvasId, CompletionReport, SyncItemId};
use crate::error::StoreError;
use crate::model::WorkspaceId;
use crate::postgres::canvases::sync_items;
use crate::sync::{
    AttemptRecord, AttemptTrace, BatchSettlement, ClaimRequest, ClaimedSyncItem, DuePartition,
    LedgerWrite, PartitionDepth, TargetStatus,
};

#[async_trait]
impl SyncStore for PgStore {
    async fn due_sync_partitions(&self, now: i64) -> Result<Vec<DuePartition>, StoreError> {
        self.in_transaction(move |tx| Box::pin(claims::due_partitions(tx, now)))
            .await
    }

    async fn sync_queue_depths(&self) -> Result<Vec<PartitionDepth>, StoreError> {
        self.on_connection(|conn| Box::pin(claims::queue_depths(conn)))
            .await
    }

    async fn claim_sync_items(
        &self,
        claim: ClaimRequest,
    ) -> Result<Vec<ClaimedSyncItem>, StoreError> {
        self.in_transaction(move |tx| Box::pin(async move { claims::claim(tx, &claim).await }))
            .await
    }

    async fn release_sync_items(
        &self,
        ids: Vec<SyncItemId>,
        worker: &str,
    ) -> Result<(), StoreError> {
        let worker = worker.to_owned();
        self.on_connection(move |conn| {
            Box::pin(async move { claims::release(conn, &ids, &worker).await })
        })
        .await
    }

    async fn record_sync_attempt(&self, attempt: AttemptRecord) -> Result<(), StoreError> {
        self.in_transaction(move |tx| {
            Box::pin(async move { claims::record_attempt(tx, &attempt).await })
        })
        .await
    }

    async fn sync_request_ids(
        &self,
        ids: Vec<SyncItemId>,
    ) -> Result<HashMap<SyncItemId, Vec<String>>, StoreError> {
        self.on_connection(move |conn| {
            Box::pin(async move { claims::request_ids(conn, &ids).await })
        })
        .await
    }

    async fn sync_attempts_of_visit(
        &self,
        journey_id: i64,
        visit_seq: i64,
    ) -> Result<Vec<AttemptTrace>, StoreError> {
        self.on_connection(move |conn| {
            Box::pin(claims::attempts_of_visit(conn, journey_id, visit_seq))
        })
        .await
    }

    async fn expired_sync_items(
        &self,
        canvas_id: CanvasId,
        step_id: &StepId,
        cutoff: i64,
        limit: u32,
    ) -> Result<Vec<SyncItemId>, StoreError> {
        let step_id = step_id.clone();
        self.on_connection(move |conn| {
            Box::pin(async move { claims::expired(conn, canvas_id, &step_id, cutoff, limit).await })
        })
        .await
    }

    async fn ledger_entries(
        &self,
        audience_id: &str,
        identifiers: Vec<String>,
    ) -> Result<HashMap<String, LedgerEntry>, StoreError> {
        let audience_id = audience_id.to_owned();
        self.on_connection(move |conn| {
            Box::pin(async move { ledger::entries(conn, &audience_id, &identifiers).await })
        })
        .await
    }

    async fn ledger_members(
        &self,
        audience_id: &str,
        workspace_id: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<Vec<(String, IdentifierKind, String)>, StoreError> {
        let audience_id = audience_id.to_owned();
        self.on_connection(move |conn| {
            Box::pin(async move {
                ledger::members(conn, &audience_id, workspace_id, &external_ids).await
            })
        })
        .await
    }

    async fn record_ledger(
        &self,
        audience_id: &str,
        writes: Vec<LedgerWrite>,
        now: i64,
    ) -> Result<(), StoreError> {
        let audience_id = audience_id.to_owned();
        self.on_connection(move |conn| {
            Box::pin(async move { ledger::record(conn, &audience_id, &writes, now).await })
        })
        .await
    }

    async fn settle_sync_batch(
        &self,
        batch: BatchSettlement,
    ) -> Result<CompletionReport, StoreError> {
        if batch.is_empty() {
            return Ok(CompletionReport::default());
        }
        self.in_transaction(move |tx| {
            Box::pin(async move {
                if !batch.ledger.is_empty() {
                    ledger::record(tx, &batch.audience_id, &batch.ledger, batch.now).await?;
                }
                let split = batch.split_attempts();
                for attempt in &split.logged_first {
                    claims::record_attempt(tx, attempt).await?;
                }
                sync_items::complete_logging_attempts(
                    tx,
                    &batch.completions,
                    &split.finishing,
                    batch.now,
                )
                .await
            })
        })
        .await
    }

    async fn record_target_status(&self, status: TargetStatus) -> Result<(), StoreError> {
        self.on_connection(move |conn| {
            Box::pin(async move { ledger::record_status(conn, &status).await })
        })
        .await
    }

    async fn target_statuses(&self, canvas_id: CanvasId) -> Result<Vec<TargetStatus>, StoreError> {
        self.on_connection(move |conn| Box::pin(ledger::statuses(conn, canvas_id)))
            .await
    }

    async fn requeue_errored_sync(
        &self,
        canvas_id: CanvasId,
        step_id: &StepId,
        action: SyncAction,
        match_fields: Vec<IdentifierKind>,
        now: i64,
    ) -> Result<u64, StoreError> {
        let step_id = step_id.clone();
        self.in_transaction(move |tx| {
            Box::pin(async move {
                requeue::requeue_errored(tx, canvas_id, &step_id, action, &match_fields, now).await
            })
        })
        .await
    }
}
