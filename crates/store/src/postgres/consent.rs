//! PostgreSQL implementation of [`crate::ConsentStore`]: consent removals queued from the
//! ledger, claimed with a lease (`FOR UPDATE SKIP LOCKED`, so instances never claim the same
//! removal), finished with their outcome. Each method is one statement or one transaction.

use std::collections::HashSet;

use async_trait::async_trait;
use pinsync_core::canvas::StepId;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::PgStore;
use crate::canvas_model::CanvasId;
use crate::consent::{
    ConsentClaim, ConsentOutcome, ConsentRemoval, ConsentRemovalId, ConsentRemovalStatus,
    ConsentStore, NewConsentRemoval,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

const COLUMNS: &str = "id, workspace_id, external_id, audience_id, canvas_id, step_id,
    revoked_at, status, attempts, first_attempt_at, reason, request_ids, records, finished_at";

#[async_trait]
impl ConsentStore for PgStore {
    async fn ledger_audiences_of_users(
        &self,
        workspace: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT external_id, audience_id FROM sync_ledger
             WHERE workspace_id = $1 AND external_id = ANY($2) AND state = 'member'
             ORDER BY external_id, audience_id",
        )
        .bind(workspace.0)
        .bind(&external_ids)
        .fetch_all(self.pool())
        .await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            found.push((row.try_get(0)?, row.try_get(1)?));
        }
        Ok(found)
    }

    async fn users_without_ad_tracking(
        &self,
        workspace: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<HashSet<String>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT external_id FROM users
             WHERE workspace_id = $1 AND NOT ad_tracking_enabled AND external_id = ANY($2)",
        )
        .bind(workspace.0)
        .bind(&external_ids)
        .fetch_all(self.pool())
        .await?;
        Ok(ids.into_iter().collect())
    }

    async fn enqueue_consent_removals(
        &self,
        removals: Vec<NewConsentRemoval>,
        now: i64,
    ) -> Result<u64, StoreError> {
        self.in_transaction(move |tx| Box::pin(enqueue(tx, removals, now)))
            .await
    }

    async fn claim_consent_removals(
        &self,
        claim: ConsentClaim,
    ) -> Result<Vec<ConsentRemoval>, StoreError> {
        let rows = sqlx::query(&format!(
            "WITH due AS (
                 SELECT id FROM consent_removals
                 WHERE status = 'pending' AND available_at <= $1
                   AND (locked_until IS NULL OR locked_until <= $1)
                 ORDER BY available_at, id LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             UPDATE consent_removals c SET locked_by = $3, locked_until = $4
             FROM due WHERE c.id = due.id
             RETURNING {}",
            prefixed("c.")
        ))
        .bind(claim.now)
        .bind(i64::from(claim.limit))
        .bind(&claim.worker)
        .bind(claim.lease_until)
        .fetch_all(self.pool())
        .await?;
        let mut claimed = rows
            .iter()
            .map(removal_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|removal| removal.id);
        Ok(claimed)
    }

    async fn finish_consent_removals(
        &self,
        ids: Vec<ConsentRemovalId>,
        worker: &str,
        outcome: ConsentOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let worker = worker.to_owned();
        self.in_transaction(move |tx| Box::pin(finish(tx, ids, worker, outcome, now)))
            .await
    }

    async fn consent_removals_of_user(
        &self,
        workspace: WorkspaceId,
        external_id: &str,
    ) -> Result<Vec<ConsentRemoval>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM consent_removals
             WHERE workspace_id = $1 AND external_id = $2 ORDER BY id"
        ))
        .bind(workspace.0)
        .bind(external_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(removal_from_row).collect()
    }
}

/// [`COLUMNS`] with each name prefixed (for `RETURNING` over a joined update).
fn prefixed(prefix: &str) -> String {
    COLUMNS
        .split(',')
        .map(|column| format!("{prefix}{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn enqueue(
    tx: &mut PgConnection,
    removals: Vec<NewConsentRemoval>,
    now: i64,
) -> Result<u64, StoreError> {
    let mut queued = 0;
    for removal in removals {
        let done = sqlx::query(
            "INSERT INTO consent_removals (workspace_id, external_id, audience_id, canvas_id,
                 step_id, revoked_at, available_at)
             SELECT $1, $2, $3, $4, $5, $6, $6
             WHERE EXISTS (SELECT 1 FROM users WHERE workspace_id = $1 AND external_id = $2
                           AND NOT ad_tracking_enabled)
             ON CONFLICT DO NOTHING",
        )
        .bind(removal.workspace_id.0)
        .bind(&removal.external_id)
        .bind(&removal.audience_id)
        .bind(removal.canvas_id.0)
        .bind(removal.step_id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        queued += done.rows_affected();
    }
    Ok(queued)
}

async fn finish(
    tx: &mut PgConnection,
    ids: Vec<ConsentRemovalId>,
    worker: String,
    outcome: ConsentOutcome,
    now: i64,
) -> Result<(), StoreError> {
    // Only the lease holder finishes a removal: one whose lease expired and was claimed again
    // belongs to the new holder.
    let held = "WHERE id = $1 AND status = 'pending' AND locked_by = $2";
    for id in ids {
        let request_id = match &outcome {
            ConsentOutcome::Removed { request_id, .. }
            | ConsentOutcome::RetryAt { request_id, .. }
            | ConsentOutcome::Errored { request_id, .. } => request_id.as_deref(),
            ConsentOutcome::Held { .. } => None,
        };
        let request_ids = with_request_id(tx, id, request_id).await?;
        match &outcome {
            ConsentOutcome::Removed { records, .. } => {
                let sent = records
                    .iter()
                    .find(|(removal, _)| *removal == id)
                    .map_or(0, |(_, count)| i64::from(*count));
                sqlx::query(&format!(
                    "UPDATE consent_removals SET status = 'removed', reason = NULL,
                         attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, $3),
                         request_ids = $4, records = $5, finished_at = $3,
                         locked_by = NULL, locked_until = NULL {held}"
                ))
                .bind(id.0)
                .bind(&worker)
                .bind(now)
                .bind(request_ids)
                .bind(sent)
                .execute(&mut *tx)
                .await?;
            }
            ConsentOutcome::RetryAt { at, reason, .. } => {
                sqlx::query(&format!(
                    "UPDATE consent_removals SET reason = $5, available_at = $6,
                         attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, $3),
                         request_ids = $4, locked_by = NULL, locked_until = NULL {held}"
                ))
                .bind(id.0)
                .bind(&worker)
                .bind(now)
                .bind(request_ids)
                .bind(reason.as_str())
                .bind(*at)
                .execute(&mut *tx)
                .await?;
            }
            ConsentOutcome::Held { until } => {
                sqlx::query(&format!(
                    "UPDATE consent_removals SET available_at = $3, locked_by = NULL,
                         locked_until = NULL {held}"
                ))
                .bind(id.0)
                .bind(&worker)
                .bind(*until)
                .execute(&mut *tx)
                .await?;
            }
            ConsentOutcome::Errored { reason, request_id } => {
                sqlx::query(&format!(
                    "UPDATE consent_removals SET status = 'errored', reason = $5,
                         attempts = attempts + $6, first_attempt_at = COALESCE(first_attempt_at, $3),
                         request_ids = $4, finished_at = $3, locked_by = NULL, locked_until = NULL
                     {held}"
                ))
                .bind(id.0)
                .bind(&worker)
                .bind(now)
                .bind(request_ids)
                .bind(reason.as_str())
                .bind(i64::from(request_id.is_some()))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// The removal's stored request ids with `request_id` appended, as JSON text.
async fn with_request_id(
    tx: &mut PgConnection,
    id: ConsentRemovalId,
    request_id: Option<&str>,
) -> Result<String, StoreError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT request_ids FROM consent_removals WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    let mut ids: Vec<String> = serde_json::from_str(stored.as_deref().unwrap_or("[]"))
        .map_err(|e| StoreError::Corrupt(format!("consent removal request ids: {e}")))?;
    if let Some(request_id) = request_id
        && !ids.iter().any(|known| known == request_id)
    {
        ids.push(request_id.to_owned());
    }
    Ok(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
}

fn removal_from_row(row: &PgRow) -> Result<ConsentRemoval, StoreError> {
    let status: String = row.try_get(7)?;
    let status = ConsentRemovalStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("consent removal status `{status}`")))?;
    let request_ids: String = row.try_get(11)?;
    let request_ids = serde_json::from_str(&request_ids)
        .map_err(|e| StoreError::Corrupt(format!("consent removal request ids: {e}")))?;
    Ok(ConsentRemoval {
        id: ConsentRemovalId(row.try_get(0)?),
        workspace_id: WorkspaceId(row.try_get(1)?),
        external_id: row.try_get(2)?,
        audience_id: row.try_get(3)?,
        canvas_id: CanvasId(row.try_get(4)?),
        step_id: StepId(row.try_get(5)?),
        revoked_at: row.try_get(6)?,
        status,
        attempts: row.try_get::<i64, _>(8)?.max(0) as u32,
        first_attempt_at: row.try_get(9)?,
        reason: row.try_get(10)?,
        request_ids,
        records: row.try_get::<i64, _>(12)?.max(0) as u32,
        finished_at: row.try_get(13)?,
    })
}
