//! Sync items as the pipeline uses them in SQLite: due partitions, leased claims, attempts
//! with their stored next attempt time, and the request log behind user traces.

use std::collections::HashMap;

use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::canvas_model::{CanvasId, SyncItem, SyncItemId};
use crate::error::StoreError;
use crate::model::WorkspaceId;
use crate::sync::{
    AttemptRecord, AttemptTrace, ClaimRequest, ClaimedSyncItem, DUE_ITEMS_COUNTED, DuePartition,
    PartitionDepth,
};

/// The partitions in index order, each probed for its first due items (see
/// [`DUE_ITEMS_COUNTED`]): index walks only, whatever the backlog.
pub(super) fn due_partitions(conn: &Connection, now: i64) -> Result<Vec<DuePartition>, StoreError> {
    let mut next = conn.prepare_cached(
        "SELECT canvas_id, step_id FROM sync_items WHERE (canvas_id, step_id) > (?1, ?2)
         ORDER BY canvas_id, step_id LIMIT 1",
    )?;
    let mut probe = conn.prepare_cached(
        "SELECT MIN(workspace_id), COUNT(*), COALESCE(SUM(records), 0), MIN(entered_at),
             COALESCE(MAX(attempts > 0), 0)
         FROM (SELECT workspace_id, entered_at, attempts,
                   (email_sha256 IS NOT NULL) + (gaid_sha256 IS NOT NULL)
                       + (idfa_sha256 IS NOT NULL) AS records
               FROM sync_items
               WHERE canvas_id = ?1 AND step_id = ?2 AND available_at <= ?3
                 AND (locked_until IS NULL OR locked_until <= ?3)
               ORDER BY id LIMIT ?4)",
    )?;
    let partition = |row: &Row<'_>| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?));
    let mut due = Vec::new();
    // Before every partition: no canvas has the smallest id.
    let mut current = next
        .query_row(params![i64::MIN, ""], partition)
        .optional()?;
    while let Some((canvas, step)) = current {
        let counted = probe.query_row(params![canvas, step, now, DUE_ITEMS_COUNTED], |row| {
            Ok((
                row.get::<_, Option<i64>>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        if let (Some(workspace), items, records, Some(oldest), retries) = counted
            && items > 0
        {
            due.push(DuePartition {
                workspace_id: WorkspaceId(workspace),
                canvas_id: CanvasId(canvas),
                step_id: StepId(step.clone()),
                items: items.max(0) as u64,
                records: records.max(0) as u64,
                oldest_entered_at: oldest,
                holds_retries: retries != 0,
            });
        }
        current = next
            .query_row(params![canvas, step], partition)
            .optional()?;
    }
    Ok(due)
}

pub(super) fn queue_depths(conn: &Connection) -> Result<Vec<PartitionDepth>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT workspace_id, canvas_id, step_id, COUNT(*) FROM sync_items
         GROUP BY workspace_id, canvas_id, step_id ORDER BY canvas_id, step_id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(PartitionDepth {
            workspace_id: WorkspaceId(row.get(0)?),
            canvas_id: CanvasId(row.get(1)?),
            step_id: StepId(row.get(2)?),
            items: row.get::<_, i64>(3)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn claim(
    tx: &Transaction<'_>,
    claim: &ClaimRequest,
) -> Result<Vec<ClaimedSyncItem>, StoreError> {
    let mut statement = tx.prepare_cached(
        "UPDATE sync_items SET locked_by = ?1, locked_until = ?2
         WHERE id IN (
             SELECT id FROM sync_items
             WHERE canvas_id = ?3 AND step_id = ?4 AND available_at <= ?5
               AND (locked_until IS NULL OR locked_until <= ?5)
             ORDER BY id LIMIT ?6)
         RETURNING id, workspace_id, journey_id, external_id, action, email_sha256,
             gaid_sha256, idfa_sha256, entered_at, available_at, attempts, first_attempt_at,
             visit_seq",
    )?;
    let rows = statement.query_map(
        params![
            claim.worker,
            claim.lease_until,
            claim.canvas_id.0,
            claim.step_id.as_str(),
            claim.now,
            claim.limit
        ],
        |row| claimed_item(row, claim.canvas_id, &claim.step_id),
    )?;
    let mut items = Vec::new();
    for row in rows {
        items.push(row??);
    }
    items.sort_by_key(|claimed: &ClaimedSyncItem| claimed.item.id);
    Ok(items)
}

/// Reads one claimed row; the inner error is a corrupt stored action.
fn claimed_item(
    row: &Row<'_>,
    canvas_id: CanvasId,
    step_id: &StepId,
) -> rusqlite::Result<Result<ClaimedSyncItem, StoreError>> {
    let action: String = row.get(4)?;
    let action = match action.as_str() {
        "add" => SyncAction::Add,
        "remove" => SyncAction::Remove,
        other => {
            return Ok(Err(StoreError::Corrupt(format!(
                "sync item action `{other}`"
            ))));
        }
    };
    let mut identifiers = Vec::new();
    for (column, kind) in [
        (5, IdentifierKind::Email),
        (6, IdentifierKind::Gaid),
        (7, IdentifierKind::Idfa),
    ] {
        if let Some(hash) = row.get::<_, Option<String>>(column)? {
            identifiers.push((kind, hash));
        }
    }
    Ok(Ok(ClaimedSyncItem {
        item: SyncItem {
            id: SyncItemId(row.get(0)?),
            workspace_id: WorkspaceId(row.get(1)?),
            canvas_id,
            step_id: step_id.clone(),
            journey_id: row.get(2)?,
            external_id: row.get(3)?,
            action,
            identifiers,
            entered_at: row.get(8)?,
            available_at: row.get(9)?,
            attempts: row.get(10)?,
        },
        first_attempt_at: row.get(11)?,
        visit_seq: row.get(12)?,
    }))
}

pub(super) fn release(
    tx: &Transaction<'_>,
    ids: &[SyncItemId],
    worker: &str,
) -> Result<(), StoreError> {
    let mut statement = tx.prepare_cached(
        "UPDATE sync_items SET locked_by = NULL, locked_until = NULL
         WHERE id = ?1 AND locked_by = ?2",
    )?;
    for id in ids {
        statement.execute(params![id.0, worker])?;
    }
    Ok(())
}

pub(super) fn record_attempt(
    tx: &Transaction<'_>,
    attempt: &AttemptRecord,
) -> Result<(), StoreError> {
    let mut bump = tx.prepare_cached(
        "UPDATE sync_items SET attempts = attempts + 1,
             first_attempt_at = COALESCE(first_attempt_at, ?2), last_reason = ?3
         WHERE id = ?1
         RETURNING journey_id, visit_seq, attempts",
    )?;
    let mut reschedule = tx.prepare_cached(
        "UPDATE sync_items SET available_at = ?2, locked_by = NULL, locked_until = NULL
         WHERE id = ?1",
    )?;
    let mut log = tx.prepare_cached(
        "INSERT INTO sync_attempts (item_id, journey_id, visit_seq, attempt, request_id,
             outcome, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let reason = attempt.reason.map(|reason| reason.as_str());
    for id in &attempt.item_ids {
        let mut rows = bump.query(params![id.0, attempt.now, reason])?;
        let Some(row) = rows.next()? else {
            continue;
        };
        let (journey, seq, count): (i64, i64, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
        drop(rows);
        if let Some(retry_at) = attempt.retry_at {
            reschedule.execute(params![id.0, retry_at])?;
        }
        log.execute(params![
            id.0,
            journey,
            seq,
            count,
            attempt.request_id,
            attempt.outcome,
            reason,
            attempt.now
        ])?;
    }
    Ok(())
}

pub(super) fn request_ids(
    conn: &Connection,
    ids: &[SyncItemId],
) -> Result<HashMap<SyncItemId, Vec<String>>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT request_id FROM sync_attempts
         WHERE item_id = ?1 AND request_id IS NOT NULL ORDER BY id",
    )?;
    let mut found = HashMap::new();
    for id in ids {
        let rows = statement.query_map([id.0], |row| row.get::<_, String>(0))?;
        let request_ids = rows.collect::<Result<Vec<_>, _>>()?;
        if !request_ids.is_empty() {
            found.insert(*id, request_ids);
        }
    }
    Ok(found)
}

pub(super) fn attempts_of_visit(
    conn: &Connection,
    journey_id: i64,
    visit_seq: i64,
) -> Result<Vec<AttemptTrace>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT attempt, request_id, outcome, reason, at FROM sync_attempts
         WHERE journey_id = ?1 AND visit_seq = ?2 ORDER BY id",
    )?;
    let rows = statement.query_map(params![journey_id, visit_seq], |row| {
        Ok(AttemptTrace {
            attempt: row.get(0)?,
            request_id: row.get(1)?,
            outcome: row.get(2)?,
            reason: row.get(3)?,
            at: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn expired(
    conn: &Connection,
    canvas_id: CanvasId,
    step_id: &StepId,
    cutoff: i64,
    limit: u32,
) -> Result<Vec<SyncItemId>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT id FROM sync_items
         WHERE canvas_id = ?1 AND step_id = ?2 AND COALESCE(first_attempt_at, entered_at) <= ?3
         ORDER BY id LIMIT ?4",
    )?;
    let rows = statement.query_map(
        params![canvas_id.0, step_id.as_str(), cutoff, limit],
        |row| Ok(SyncItemId(row.get(0)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
