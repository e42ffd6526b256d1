//! Sync items as the pipeline uses them on PostgreSQL: due partitions, leased claims,
//! attempts with their stored next attempt time, and the request log behind user traces.
//!
//! A claim is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`: items
//! another instance is claiming at the same moment are skipped rather than waited for, and an
//! item whose lease another transaction just renewed is re-checked once locked, so no two
//! instances ever hold a lease on one item. An expired lease is simply claimable again. The
//! claim's plan, and the due scan's, is pinned to the ordered index walk ([`INDEX_WALK_PLAN`]).

use std::collections::HashMap;

use pinsync_core::canvas::StepId;
use sqlx::{PgConnection, Row};

use crate::canvas_model::{CanvasId, SyncItemId};
use crate::error::StoreError;
use crate::model::WorkspaceId;
use crate::postgres::canvases::sync_items::{AttemptLog, ITEM_COLUMNS, item_from_row};
use crate::sync::{
    AttemptRecord, AttemptTrace, ClaimRequest, ClaimedSyncItem, DUE_ITEMS_COUNTED, DuePartition,
    LoggedAttempt, PartitionDepth,
};

fn as_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A claim (and a due scan) walks the partition's index in id order and stops after `limit`
/// rows. A queue table's statistics are stale after every bulk entry (autovacuum analyzes it a
/// minute or more later), and with them the planner once chose to read and sort the whole
/// partition for each claim: 100 to 200 ms per batch on 300,000 pending items instead of about
/// 15. These settings, local to the caller's transaction, leave it only the ordered index walk.
const INDEX_WALK_PLAN: &str = "SELECT set_config('enable_sort', 'off', true),
     set_config('enable_bitmapscan', 'off', true)";

/// The partitions in index order, each probed for its first due items (see
/// [`DUE_ITEMS_COUNTED`]): index walks only, whatever the backlog.
pub(super) async fn due_partitions(
    conn: &mut PgConnection,
    now: i64,
) -> Result<Vec<DuePartition>, StoreError> {
    sqlx::query(INDEX_WALK_PLAN).execute(&mut *conn).await?;
    let mut due = Vec::new();
    // Before every partition: no canvas has the smallest id.
    let mut after = (i64::MIN, String::new());
    loop {
        let next: Option<(i64, String)> = sqlx::query_as(
            "SELECT canvas_id, step_id FROM sync_items
             WHERE (canvas_id, step_id) > ($1, $2)
             ORDER BY canvas_id, step_id LIMIT 1",
        )
        .bind(after.0)
        .bind(&after.1)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((canvas, step)) = next else { break };
        if let Some(partition) = probe(conn, canvas, &step, now).await? {
            due.push(partition);
        }
        after = (canvas, step);
    }
    due.sort_by(|a, b| (a.canvas_id, a.step_id.as_str()).cmp(&(b.canvas_id, b.step_id.as_str())));
    Ok(due)
}

/// One partition's first due items, counted; `None` when none is due.
async fn probe(
    conn: &mut PgConnection,
    canvas: i64,
    step: &str,
    now: i64,
) -> Result<Option<DuePartition>, StoreError> {
    let row = sqlx::query(
        "SELECT MIN(workspace_id), COUNT(*), COALESCE(SUM(records), 0)::bigint,
             MIN(entered_at), COALESCE(bool_or(attempts > 0), false)
         FROM (SELECT workspace_id, entered_at, attempts,
                   (email_sha256 IS NOT NULL)::int + (gaid_sha256 IS NOT NULL)::int
                       + (idfa_sha256 IS NOT NULL)::int AS records
               FROM sync_items
               WHERE canvas_id = $1 AND step_id = $2 AND available_at <= $3
                 AND (locked_until IS NULL OR locked_until <= $3)
               ORDER BY id LIMIT $4) due",
    )
    .bind(canvas)
    .bind(step)
    .bind(now)
    .bind(i64::from(DUE_ITEMS_COUNTED))
    .fetch_one(conn)
    .await?;
    let items: i64 = row.try_get(1)?;
    if items == 0 {
        return Ok(None);
    }
    Ok(Some(DuePartition {
        workspace_id: WorkspaceId(row.try_get(0)?),
        canvas_id: CanvasId(canvas),
        step_id: StepId(step.to_owned()),
        items: as_count(items),
        records: as_count(row.try_get(2)?),
        oldest_entered_at: row.try_get(3)?,
        holds_retries: row.try_get(4)?,
    }))
}

pub(super) async fn queue_depths(
    conn: &mut PgConnection,
) -> Result<Vec<PartitionDepth>, StoreError> {
    let rows = sqlx::query(
        "SELECT workspace_id, canvas_id, step_id, COUNT(*) FROM sync_items
         GROUP BY workspace_id, canvas_id, step_id ORDER BY canvas_id, step_id COLLATE \"C\"",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PartitionDepth {
                workspace_id: WorkspaceId(row.try_get(0)?),
                canvas_id: CanvasId(row.try_get(1)?),
                step_id: StepId(row.try_get(2)?),
                items: as_count(row.try_get(3)?),
            })
        })
        .collect()
}

/// Claims, in a transaction of its own (the planner settings last until its end).
pub(super) async fn claim(
    conn: &mut PgConnection,
    claim: &ClaimRequest,
) -> Result<Vec<ClaimedSyncItem>, StoreError> {
    sqlx::query(INDEX_WALK_PLAN).execute(&mut *conn).await?;
    let rows = sqlx::query(&format!(
        "UPDATE sync_items SET locked_by = $1, locked_until = $2
         WHERE id IN (
             SELECT id FROM sync_items
             WHERE canvas_id = $3 AND step_id = $4 AND available_at <= $5
               AND (locked_until IS NULL OR locked_until <= $5)
             ORDER BY id LIMIT $6
             FOR UPDATE SKIP LOCKED)
         RETURNING {ITEM_COLUMNS}, first_attempt_at, visit_seq"
    ))
    .bind(&claim.worker)
    .bind(claim.lease_until)
    .bind(claim.canvas_id.0)
    .bind(claim.step_id.as_str())
    .bind(claim.now)
    .bind(i64::from(claim.limit))
    .fetch_all(conn)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(ClaimedSyncItem {
            item: item_from_row(row, claim.canvas_id, &claim.step_id)?,
            first_attempt_at: row.try_get("first_attempt_at")?,
            visit_seq: row.try_get("visit_seq")?,
        });
    }
    items.sort_by_key(|claimed| claimed.item.id);
    Ok(items)
}

pub(super) async fn release(
    conn: &mut PgConnection,
    ids: &[SyncItemId],
    worker: &str,
) -> Result<(), StoreError> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    sqlx::query(
        "UPDATE sync_items SET locked_by = NULL, locked_until = NULL
         WHERE id = ANY($1::bigint[]) AND locked_by = $2",
    )
    .bind(ids)
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn record_attempt(
    conn: &mut PgConnection,
    attempt: &AttemptRecord,
) -> Result<(), StoreError> {
    if attempt.item_ids.is_empty() {
        return Ok(());
    }
    // An id named n times counts n attempts, as applying them one by one would.
    let mut times: HashMap<i64, i64> = HashMap::new();
    for id in &attempt.item_ids {
        *times.entry(id.0).or_insert(0) += 1;
    }
    let mut ids: Vec<i64> = times.keys().copied().collect();
    ids.sort_unstable();
    let counts: Vec<i64> = ids.iter().map(|id| times[id]).collect();
    let reason = attempt.reason.map(|reason| reason.as_str());
    let rows = sqlx::query(
        "UPDATE sync_items s SET attempts = s.attempts + t.times,
             first_attempt_at = COALESCE(s.first_attempt_at, $3), last_reason = $4,
             available_at = COALESCE($5, s.available_at),
             locked_by = CASE WHEN $5::bigint IS NULL THEN s.locked_by END,
             locked_until = CASE WHEN $5::bigint IS NULL THEN s.locked_until END
         FROM UNNEST($1::bigint[], $2::bigint[]) AS t(id, times)
         WHERE s.id = t.id
         RETURNING s.id, s.journey_id, s.visit_seq, s.attempts",
    )
    .bind(&ids)
    .bind(counts)
    .bind(attempt.now)
    .bind(reason)
    .bind(attempt.retry_at)
    .fetch_all(&mut *conn)
    .await?;
    let mut bumped: HashMap<i64, (i64, i64, i64)> = HashMap::with_capacity(rows.len());
    for row in rows {
        bumped.insert(
            row.try_get(0)?,
            (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?),
        );
    }
    // The log keeps the caller's order; the k-th of n mentions of an id logs the attempt
    // number it had after k bumps.
    let logged = LoggedAttempt {
        request_id: attempt.request_id.as_deref(),
        outcome: &attempt.outcome,
        reason,
        at: attempt.now,
    };
    let mut log = AttemptLog::default();
    for id in &attempt.item_ids {
        let (Some(&(journey, seq, total)), Some(remaining)) =
            (bumped.get(&id.0), times.get_mut(&id.0))
        else {
            continue;
        };
        *remaining -= 1;
        log.push(id.0, (journey, seq), total - *remaining, &logged);
    }
    log.write(conn).await
}

pub(super) async fn request_ids(
    conn: &mut PgConnection,
    ids: &[SyncItemId],
) -> Result<HashMap<SyncItemId, Vec<String>>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = sqlx::query(
        "SELECT item_id, request_id FROM sync_attempts
         WHERE item_id = ANY($1::bigint[]) AND request_id IS NOT NULL ORDER BY id",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    let mut found: HashMap<SyncItemId, Vec<String>> = HashMap::new();
    for row in rows {
        found
            .entry(SyncItemId(row.try_get(0)?))
            .or_default()
            .push(row.try_get(1)?);
    }
    Ok(found)
}

pub(super) async fn attempts_of_visit(
    conn: &mut PgConnection,
    journey_id: i64,
    visit_seq: i64,
) -> Result<Vec<AttemptTrace>, StoreError> {
    let rows = sqlx::query(
        "SELECT attempt, request_id, outcome, reason, at FROM sync_attempts
         WHERE journey_id = $1 AND visit_seq = $2 ORDER BY id",
    )
    .bind(journey_id)
    .bind(visit_seq)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let attempt: i64 = row.try_get(0)?;
            Ok(AttemptTrace {
                attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                request_id: row.try_get(1)?,
                outcome: row.try_get(2)?,
                reason: row.try_get(3)?,
                at: row.try_get(4)?,
            })
        })
        .collect()
}

pub(super) async fn expired(
    conn: &mut PgConnection,
    canvas_id: CanvasId,
    step_id: &StepId,
    cutoff: i64,
    limit: u32,
) -> Result<Vec<SyncItemId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM sync_items
         WHERE canvas_id = $1 AND step_id = $2 AND COALESCE(first_attempt_at, entered_at) <= $3
         ORDER BY id LIMIT $4",
    )
    .bind(canvas_id.0)
    .bind(step_id.as_str())
    .bind(cutoff)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(SyncItemId).collect())
}
