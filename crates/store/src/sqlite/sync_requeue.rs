//! `retry_errored` in SQLite: errored users of a step go back to `pending` as new sync items
//! built from their current identifiers, with the counters moved in the same transaction.

use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use rusqlite::{Transaction, params};

use crate::canvas_model::{CanvasId, day_of};
use crate::error::StoreError;

struct ErroredVisit {
    journey_id: i64,
    seq: i64,
    entered_at: i64,
    reason: String,
    workspace_id: i64,
    external_id: String,
    hashes: [Option<String>; 3],
    ad_tracking_enabled: bool,
}

pub(super) fn requeue_errored(
    tx: &Transaction<'_>,
    canvas_id: CanvasId,
    step_id: &StepId,
    action: SyncAction,
    match_fields: &[IdentifierKind],
    now: i64,
) -> Result<u64, StoreError> {
    let visits = errored_visits(tx, canvas_id, step_id)?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO sync_items (workspace_id, canvas_id, step_id, journey_id, visit_seq,
             external_id, action, email_sha256, gaid_sha256, idfa_sha256, entered_at, available_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut reopen = tx.prepare_cached(
        "UPDATE journey_visits SET outcome = 'pending', reason = NULL
         WHERE journey_id = ?1 AND seq = ?2",
    )?;
    let mut uncount = tx.prepare_cached(
        "UPDATE canvas_counters SET value = value - 1
         WHERE canvas_id = ?1 AND step_id = ?2 AND metric = 'errored' AND reason = ?3
           AND day = (SELECT MAX(day) FROM canvas_counters WHERE canvas_id = ?1
                      AND step_id = ?2 AND metric = 'errored' AND reason = ?3 AND value > 0)",
    )?;
    let mut count_pending = tx.prepare_cached(
        "INSERT INTO canvas_counters (canvas_id, step_id, metric, reason, day, value)
         VALUES (?1, ?2, 'pending', '', ?3, 1)
         ON CONFLICT (canvas_id, step_id, metric, reason, day) DO UPDATE SET value = value + 1",
    )?;
    let mut requeued = 0;
    for visit in visits {
        let column = |kind: IdentifierKind| match kind {
            IdentifierKind::Email => 0,
            IdentifierKind::Gaid => 1,
            IdentifierKind::Idfa => 2,
        };
        let mut hashes: [Option<&str>; 3] = [None, None, None];
        for kind in match_fields {
            let index = column(*kind);
            hashes[index] = visit.hashes[index].as_deref();
        }
        if !visit.ad_tracking_enabled || hashes.iter().all(Option::is_none) {
            continue;
        }
        insert.execute(params![
            visit.workspace_id,
            canvas_id.0,
            step_id.as_str(),
            visit.journey_id,
            visit.seq,
            visit.external_id,
            action.as_str(),
            hashes[0],
            hashes[1],
            hashes[2],
            visit.entered_at,
            now
        ])?;
        reopen.execute(params![visit.journey_id, visit.seq])?;
        uncount.execute(params![canvas_id.0, step_id.as_str(), visit.reason])?;
        count_pending.execute(params![canvas_id.0, step_id.as_str(), day_of(now)])?;
        requeued += 1;
    }
    Ok(requeued)
}

fn errored_visits(
    tx: &Transaction<'_>,
    canvas_id: CanvasId,
    step_id: &StepId,
) -> Result<Vec<ErroredVisit>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT v.journey_id, v.seq, v.entered_at, COALESCE(v.reason, ''), j.workspace_id,
             j.external_id, u.email_sha256, u.gaid_sha256, u.idfa_sha256, u.ad_tracking_enabled
         FROM journey_visits v
         JOIN journeys j ON j.id = v.journey_id
         JOIN users u ON u.workspace_id = j.workspace_id AND u.external_id = j.external_id
         WHERE v.canvas_id = ?1 AND v.step_id = ?2 AND v.outcome = 'errored'
         ORDER BY v.journey_id, v.seq",
    )?;
    let rows = statement.query_map(params![canvas_id.0, step_id.as_str()], |row| {
        Ok(ErroredVisit {
            journey_id: row.get(0)?,
            seq: row.get(1)?,
            entered_at: row.get(2)?,
            reason: row.get(3)?,
            workspace_id: row.get(4)?,
            external_id: row.get(5)?,
            hashes: [row.get(6)?, row.get(7)?, row.get(8)?],
            ad_tracking_enabled: row.get::<_, i64>(9)? != 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
