//! Sync items on PostgreSQL: the durable hand-over from audience-sync steps to the sync
//! pipeline, and their completion, which moves `pending` to the outcome in the same
//! transaction. Completion deletes the items first (`DELETE … RETURNING`): of two instances
//! completing one item at once, only the one whose delete found the row counts it.

use std::collections::HashMap;

use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::metrics::StepMetric;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::counters::CounterDeltas;
use crate::canvas_model::{CanvasId, CompletionReport, SyncItem, SyncItemId, SyncOutcome};
use crate::error::StoreError;
use crate::model::WorkspaceId;

/// The stored action's meaning.
pub(in crate::postgres) fn parse_action(action: &str) -> Result<SyncAction, StoreError> {
    match action {
        "add" => Ok(SyncAction::Add),
        "remove" => Ok(SyncAction::Remove),
        other => Err(StoreError::Corrupt(format!("sync item action `{other}`"))),
    }
}

/// The columns [`item_from_row`] reads, in its order.
pub(in crate::postgres) const ITEM_COLUMNS: &str = "id, workspace_id, journey_id, external_id, action, \
    email_sha256, gaid_sha256, idfa_sha256, entered_at, available_at, attempts";

/// A sync item of a known partition from a row that starts with [`ITEM_COLUMNS`].
pub(in crate::postgres) fn item_from_row(
    row: &PgRow,
    canvas: CanvasId,
    step: &StepId,
) -> Result<SyncItem, StoreError> {
    let mut identifiers = Vec::new();
    for (column, kind) in [
        (5, IdentifierKind::Email),
        (6, IdentifierKind::Gaid),
        (7, IdentifierKind::Idfa),
    ] {
        if let Some(hash) = row.try_get::<Option<String>, _>(column)? {
            identifiers.push((kind, hash));
        }
    }
    let attempts: i64 = row.try_get(10)?;
    Ok(SyncItem {
        id: SyncItemId(row.try_get(0)?),
        workspace_id: WorkspaceId(row.try_get(1)?),
        canvas_id: canvas,
        step_id: step.clone(),
        journey_id: row.try_get(2)?,
        external_id: row.try_get(3)?,
        action: parse_action(row.try_get(4)?)?,
        identifiers,
        entered_at: row.try_get(8)?,
        available_at: row.try_get(9)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
    })
}

pub(in crate::postgres) async fn list(
    conn: &mut PgConnection,
    canvas: CanvasId,
    step: &StepId,
    after: Option<SyncItemId>,
    limit: u32,
) -> Result<Vec<SyncItem>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM sync_items
         WHERE canvas_id = $1 AND step_id = $2 AND id > $3
         ORDER BY id LIMIT $4"
    ))
    .bind(canvas.0)
    .bind(step.as_str())
    .bind(after.map_or(0, |id| id.0))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| item_from_row(row, canvas, step))
        .collect()
}

/// A deleted item: what its completion needs to know.
struct Finished {
    canvas: i64,
    step: String,
    journey: i64,
    seq: i64,
    attempts: i64,
}

pub(in crate::postgres) async fn complete(
    conn: &mut PgConnection,
    outcomes: &[(SyncItemId, SyncOutcome)],
    now: i64,
) -> Result<CompletionReport, StoreError> {
    let mut report = CompletionReport::default();
    if outcomes.is_empty() {
        return Ok(report);
    }
    let mut ids: Vec<i64> = outcomes.iter().map(|(id, _)| id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = sqlx::query(
        "DELETE FROM sync_items WHERE id = ANY($1::bigint[])
         RETURNING id, canvas_id, step_id, journey_id, visit_seq, attempts",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut finished: HashMap<i64, Finished> = HashMap::with_capacity(rows.len());
    for row in rows {
        finished.insert(
            row.try_get(0)?,
            Finished {
                canvas: row.try_get(1)?,
                step: row.try_get(2)?,
                journey: row.try_get(3)?,
                seq: row.try_get(4)?,
                attempts: row.try_get(5)?,
            },
        );
    }

    let mut deltas = CounterDeltas::default();
    let mut journeys = Vec::new();
    let mut seqs = Vec::new();
    let mut metrics = Vec::new();
    let mut reasons = Vec::new();
    let mut attempts = Vec::new();
    let mut request_ids = Vec::new();
    for (id, outcome) in outcomes {
        // An id named twice is finished by its first outcome; the second is unknown.
        let Some(item) = finished.remove(&id.0) else {
            report.unknown += 1;
            continue;
        };
        let (metric, reason, detail) = match outcome {
            SyncOutcome::Synced { detail } => (StepMetric::Synced, "", detail),
            SyncOutcome::Errored { reason, detail } => {
                (StepMetric::Errored, reason.as_str(), detail)
            }
            SyncOutcome::NotSynced { reason, detail } => {
                (StepMetric::NotSynced, reason.as_str(), detail)
            }
        };
        let encoded = serde_json::to_string(&detail.request_ids)
            .map_err(|e| StoreError::Database(format!("cannot encode request ids: {e}")))?;
        journeys.push(item.journey);
        seqs.push(item.seq);
        metrics.push(metric.as_str());
        reasons.push((!reason.is_empty()).then_some(reason));
        attempts.push(item.attempts);
        request_ids.push(encoded);
        let canvas = CanvasId(item.canvas);
        deltas.add(canvas, &item.step, StepMetric::Pending, "", now, -1);
        deltas.add(canvas, &item.step, metric, reason, now, 1);
        report.completed += 1;
    }
    if !journeys.is_empty() {
        sqlx::query(
            "UPDATE journey_visits v SET outcome = t.outcome, reason = t.reason,
                 attempts = t.attempts, request_ids = t.request_ids
             FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
                         $6::text[])
                 AS t(journey_id, seq, outcome, reason, attempts, request_ids)
             WHERE v.journey_id = t.journey_id AND v.seq = t.seq",
        )
        .bind(journeys)
        .bind(seqs)
        .bind(metrics)
        .bind(reasons)
        .bind(attempts)
        .bind(request_ids)
        .execute(&mut *conn)
        .await?;
    }
    deltas.apply(conn).await?;
    Ok(report)
}
