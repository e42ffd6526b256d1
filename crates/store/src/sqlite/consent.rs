//! SQLite implementation of [`crate::ConsentStore`]: consent removals queued from the ledger,
//! claimed with a lease, finished with their outcome. Each method is one transaction.

use std::collections::HashSet;

use async_trait::async_trait;
use pinsync_core::canvas::StepId;
use rusqlite::{Connection, Row, Transaction, params};

use super::SqliteStore;
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
impl ConsentStore for SqliteStore {
    async fn ledger_audiences_of_users(
        &self,
        workspace: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.read(move |conn| ledger_audiences(conn, workspace, &external_ids))
            .await
    }

    async fn users_without_ad_tracking(
        &self,
        workspace: WorkspaceId,
        external_ids: Vec<String>,
    ) -> Result<HashSet<String>, StoreError> {
        self.read(move |conn| without_ad_tracking(conn, workspace, &external_ids))
            .await
    }

    async fn enqueue_consent_removals(
        &self,
        removals: Vec<NewConsentRemoval>,
        now: i64,
    ) -> Result<u64, StoreError> {
        self.write(move |tx| enqueue(tx, &removals, now)).await
    }

    async fn claim_consent_removals(
        &self,
        claim: ConsentClaim,
    ) -> Result<Vec<ConsentRemoval>, StoreError> {
        self.write(move |tx| claim_due(tx, &claim)).await
    }

    async fn finish_consent_removals(
        &self,
        ids: Vec<ConsentRemovalId>,
        worker: &str,
        outcome: ConsentOutcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let worker = worker.to_owned();
        self.write(move |tx| finish(tx, &ids, &worker, &outcome, now))
            .await
    }

    async fn consent_removals_of_user(
        &self,
        workspace: WorkspaceId,
        external_id: &str,
    ) -> Result<Vec<ConsentRemoval>, StoreError> {
        let external_id = external_id.to_owned();
        self.read(move |conn| of_user(conn, workspace, &external_id))
            .await
    }
}

fn ledger_audiences(
    conn: &Connection,
    workspace: WorkspaceId,
    external_ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT audience_id FROM sync_ledger
         WHERE workspace_id = ?1 AND external_id = ?2 AND state = 'member'
         ORDER BY audience_id",
    )?;
    let mut found = Vec::new();
    for external_id in external_ids {
        let rows = statement.query_map(params![workspace.0, external_id], |row| {
            row.get::<_, String>(0)
        })?;
        for audience in rows {
            found.push((external_id.clone(), audience?));
        }
    }
    Ok(found)
}

fn without_ad_tracking(
    conn: &Connection,
    workspace: WorkspaceId,
    external_ids: &[String],
) -> Result<HashSet<String>, StoreError> {
    let ids = serde_json::to_string(external_ids)
        .map_err(|e| StoreError::Corrupt(format!("external ids: {e}")))?;
    let mut statement = conn.prepare_cached(
        "SELECT external_id FROM users
         WHERE workspace_id = ?1 AND ad_tracking_enabled = 0
           AND external_id IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = statement.query_map(params![workspace.0, ids], |row| row.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn enqueue(
    tx: &Transaction<'_>,
    removals: &[NewConsentRemoval],
    now: i64,
) -> Result<u64, StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO consent_removals (workspace_id, external_id, audience_id, canvas_id,
             step_id, revoked_at, available_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
         WHERE EXISTS (SELECT 1 FROM users WHERE workspace_id = ?1 AND external_id = ?2
                       AND ad_tracking_enabled = 0)
         ON CONFLICT DO NOTHING",
    )?;
    let mut queued = 0;
    for removal in removals {
        queued += insert.execute(params![
            removal.workspace_id.0,
            removal.external_id,
            removal.audience_id,
            removal.canvas_id.0,
            removal.step_id.as_str(),
            now
        ])? as u64;
    }
    Ok(queued)
}

fn claim_due(
    tx: &Transaction<'_>,
    claim: &ConsentClaim,
) -> Result<Vec<ConsentRemoval>, StoreError> {
    let ids: Vec<i64> = {
        let mut due = tx.prepare_cached(
            "SELECT id FROM consent_removals
             WHERE status = 'pending' AND available_at <= ?1
               AND (locked_until IS NULL OR locked_until <= ?1)
             ORDER BY available_at, id LIMIT ?2",
        )?;
        due.query_map(params![claim.now, claim.limit], |row| row.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut lease = tx.prepare_cached(
        "UPDATE consent_removals SET locked_by = ?2, locked_until = ?3 WHERE id = ?1",
    )?;
    let mut read = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM consent_removals WHERE id = ?1"
    ))?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        lease.execute(params![id, claim.worker, claim.lease_until])?;
        claimed.push(read.query_row([id], removal_from_row)??);
    }
    Ok(claimed)
}

fn finish(
    tx: &Transaction<'_>,
    ids: &[ConsentRemovalId],
    worker: &str,
    outcome: &ConsentOutcome,
    now: i64,
) -> Result<(), StoreError> {
    // Only the lease holder finishes a removal: one whose lease expired and was claimed again
    // belongs to the new holder.
    let held = "WHERE id = ?1 AND status = 'pending' AND locked_by = ?2";
    match outcome {
        ConsentOutcome::Removed {
            request_id,
            records,
        } => {
            let mut update = tx.prepare_cached(&format!(
                "UPDATE consent_removals SET status = 'removed', reason = NULL,
                     attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?3),
                     request_ids = ?4, records = ?5, finished_at = ?3,
                     locked_by = NULL, locked_until = NULL {held}"
            ))?;
            for id in ids {
                let sent = records
                    .iter()
                    .find(|(removal, _)| removal == id)
                    .map_or(0, |(_, count)| *count);
                let request_ids = with_request_id(tx, *id, request_id.as_deref())?;
                update.execute(params![id.0, worker, now, request_ids, sent])?;
            }
        }
        ConsentOutcome::RetryAt {
            at,
            reason,
            request_id,
        } => {
            let mut update = tx.prepare_cached(&format!(
                "UPDATE consent_removals SET reason = ?4, available_at = ?5,
                     attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?3),
                     request_ids = ?6, locked_by = NULL, locked_until = NULL {held}"
            ))?;
            for id in ids {
                let request_ids = with_request_id(tx, *id, request_id.as_deref())?;
                update.execute(params![id.0, worker, now, reason.as_str(), at, request_ids])?;
            }
        }
        ConsentOutcome::Held { until } => {
            let mut update = tx.prepare_cached(&format!(
                "UPDATE consent_removals SET available_at = ?3, locked_by = NULL,
                     locked_until = NULL {held}"
            ))?;
            for id in ids {
                update.execute(params![id.0, worker, until])?;
            }
        }
        ConsentOutcome::Errored { reason, request_id } => {
            let mut update = tx.prepare_cached(&format!(
                "UPDATE consent_removals SET status = 'errored', reason = ?4,
                     attempts = attempts + ?5, first_attempt_at = COALESCE(first_attempt_at, ?3),
                     request_ids = ?6, finished_at = ?3, locked_by = NULL, locked_until = NULL
                 {held}"
            ))?;
            let attempted = i64::from(request_id.is_some());
            for id in ids {
                let request_ids = with_request_id(tx, *id, request_id.as_deref())?;
                update.execute(params![
                    id.0,
                    worker,
                    now,
                    reason.as_str(),
                    attempted,
                    request_ids
                ])?;
            }
        }
    }
    Ok(())
}

/// The removal's stored request ids with `request_id` appended, as JSON text.
fn with_request_id(
    tx: &Transaction<'_>,
    id: ConsentRemovalId,
    request_id: Option<&str>,
) -> Result<String, StoreError> {
    let stored: String = tx
        .prepare_cached("SELECT request_ids FROM consent_removals WHERE id = ?1")?
        .query_row([id.0], |row| row.get(0))?;
    let mut ids: Vec<String> = serde_json::from_str(&stored)
        .map_err(|e| StoreError::Corrupt(format!("consent removal request ids: {e}")))?;
    if let Some(request_id) = request_id
        && !ids.iter().any(|known| known == request_id)
    {
        ids.push(request_id.to_owned());
    }
    Ok(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
}

fn of_user(
    conn: &Connection,
    workspace: WorkspaceId,
    external_id: &str,
) -> Result<Vec<ConsentRemoval>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM consent_removals
         WHERE workspace_id = ?1 AND external_id = ?2 ORDER BY id"
    ))?;
    let rows = statement.query_map(params![workspace.0, external_id], removal_from_row)?;
    let mut removals = Vec::new();
    for row in rows {
        removals.push(row??);
    }
    Ok(removals)
}

/// A row of [`COLUMNS`]; the inner result reports undecodable stored values.
fn removal_from_row(row: &Row<'_>) -> rusqlite::Result<Result<ConsentRemoval, StoreError>> {
    let status: String = row.get(7)?;
    let request_ids: String = row.get(11)?;
    let Some(status) = ConsentRemovalStatus::parse(&status) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "consent removal status `{status}`"
        ))));
    };
    let request_ids = match serde_json::from_str(&request_ids) {
        Ok(ids) => ids,
        Err(e) => {
            return Ok(Err(StoreError::Corrupt(format!(
                "consent removal request ids: {e}"
            ))));
        }
    };
    Ok(Ok(ConsentRemoval {
        id: ConsentRemovalId(row.get(0)?),
        workspace_id: WorkspaceId(row.get(1)?),
        external_id: row.get(2)?,
        audience_id: row.get(3)?,
        canvas_id: CanvasId(row.get(4)?),
        step_id: StepId(row.get(5)?),
        revoked_at: row.get(6)?,
        status,
        attempts: row.get::<_, i64>(8)?.max(0) as u32,
        first_attempt_at: row.get(9)?,
        reason: row.get(10)?,
        request_ids,
        records: row.get::<_, i64>(12)?.max(0) as u32,
        finished_at: row.get(13)?,
    }))
}
