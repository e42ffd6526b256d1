//! Sync items in SQLite: the durable hand-over from audience-sync steps to the sync pipeline,
//! and their completion, which moves `pending` to the outcome in the same transaction (and can
//! log the finishing attempt on the way, for a batch settled in one transaction).

use std::collections::HashMap;

use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::metrics::StepMetric;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::counters::CounterDeltas;
use crate::canvas_model::{
    CanvasId, CompletionReport, SyncDetail, SyncItem, SyncItemId, SyncOutcome,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;
use crate::sync::LoggedAttempt;

pub(super) fn list(
    conn: &Connection,
    canvas: CanvasId,
    step: &StepId,
    after: Option<SyncItemId>,
    limit: u32,
) -> Result<Vec<SyncItem>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, workspace_id, journey_id, external_id, action, email_sha256, gaid_sha256,
             idfa_sha256, entered_at, available_at, attempts
         FROM sync_items WHERE canvas_id = ?1 AND step_id = ?2 AND id > ?3
         ORDER BY id LIMIT ?4",
    )?;
    let rows = statement.query_map(
        params![canvas.0, step.as_str(), after.map_or(0, |id| id.0), limit],
        |row| {
            let action: String = row.get(4)?;
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
            Ok((
                SyncItem {
                    id: SyncItemId(row.get(0)?),
                    workspace_id: WorkspaceId(row.get(1)?),
                    canvas_id: canvas,
                    step_id: step.clone(),
                    journey_id: row.get(2)?,
                    external_id: row.get(3)?,
                    action: SyncAction::Add,
                    identifiers,
                    entered_at: row.get(8)?,
                    available_at: row.get(9)?,
                    attempts: row.get(10)?,
                },
                action,
            ))
        },
    )?;
    let mut items = Vec::new();
    for row in rows {
        let (mut item, action) = row?;
        item.action = match action.as_str() {
            "add" => SyncAction::Add,
            "remove" => SyncAction::Remove,
            other => return Err(StoreError::Corrupt(format!("sync item action `{other}`"))),
        };
        items.push(item);
    }
    Ok(items)
}

pub(super) fn complete(
    tx: &Transaction<'_>,
    outcomes: &[(SyncItemId, SyncOutcome)],
    now: i64,
) -> Result<CompletionReport, StoreError> {
    complete_logging_attempts(tx, outcomes, &HashMap::new(), now)
}

/// Deletes each item, records its outcome on its journey visit and moves `pending` to the
/// outcome's counter; items in `final_attempts` also get that attempt logged and counted.
pub(in crate::sqlite) fn complete_logging_attempts(
    tx: &Transaction<'_>,
    outcomes: &[(SyncItemId, SyncOutcome)],
    final_attempts: &HashMap<SyncItemId, LoggedAttempt<'_>>,
    now: i64,
) -> Result<CompletionReport, StoreError> {
    let mut report = CompletionReport::default();
    let mut deltas = CounterDeltas::default();
    let mut take = tx.prepare_cached(
        "DELETE FROM sync_items WHERE id = ?1
         RETURNING canvas_id, step_id, journey_id, visit_seq, attempts",
    )?;
    let mut log = tx.prepare_cached(
        "INSERT INTO sync_attempts (item_id, journey_id, visit_seq, attempt, request_id,
             outcome, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut record = tx.prepare_cached(
        "UPDATE journey_visits SET outcome = ?3, reason = ?4, attempts = ?5, request_ids = ?6
         WHERE journey_id = ?1 AND seq = ?2",
    )?;
    for (id, outcome) in outcomes {
        // A DML statement with RETURNING makes all its changes on the first step.
        let item: Option<(i64, String, i64, i64, i64)> = take
            .query_row([id.0], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .optional()?;
        let Some((canvas, step, journey, seq, mut attempts)) = item else {
            report.unknown += 1;
            continue;
        };
        if let Some(attempt) = final_attempts.get(id) {
            attempts += 1;
            log.execute(params![
                id.0,
                journey,
                seq,
                attempts,
                attempt.request_id,
                attempt.outcome,
                attempt.reason,
                attempt.at
            ])?;
        }
        let (metric, reason, detail): (StepMetric, &'static str, &SyncDetail) = match outcome {
            SyncOutcome::Synced { detail } => (StepMetric::Synced, "", detail),
            SyncOutcome::Errored { reason, detail } => {
                (StepMetric::Errored, reason.as_str(), detail)
            }
            SyncOutcome::NotSynced { reason, detail } => {
                (StepMetric::NotSynced, reason.as_str(), detail)
            }
        };
        let request_ids = serde_json::to_string(&detail.request_ids)
            .map_err(|e| StoreError::Database(format!("cannot encode request ids: {e}")))?;
        record.execute(params![
            journey,
            seq,
            metric.as_str(),
            (!reason.is_empty()).then_some(reason),
            attempts,
            request_ids,
        ])?;
        let canvas = CanvasId(canvas);
        deltas.add(canvas, &step, StepMetric::Pending, "", now, -1);
        deltas.add(canvas, &step, metric, reason, now, 1);
        report.completed += 1;
    }
    drop((take, log, record));
    deltas.apply(tx)?;
    Ok(report)
}
