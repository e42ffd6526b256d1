//! Sync items on PostgreSQL: the durable hand-over from audience-sync steps to the sync
//! pipeline, and their completion, which moves `pending` to the outcome in the same
//! transaction. Completion deletes the items first (`DELETE … RETURNING`): of two instances
//! completing one item at once, only the one whose delete found the row counts it. A batch's
//! finishing attempts are logged from the deleted rows, so its items are never updated just
//! before they go.

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
use crate::sync::LoggedAttempt;

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
    complete_logging_attempts(conn, outcomes, &HashMap::new(), now).await
}

/// Rows of the attempt log (`sync_attempts`), as the columns of one insert that keeps their
/// order: the finishing attempts of deleted items here, and every attempt
/// `SyncStore::record_sync_attempt` logs.
#[derive(Default)]
pub(in crate::postgres) struct AttemptLog<'a> {
    item_ids: Vec<i64>,
    journeys: Vec<i64>,
    seqs: Vec<i64>,
    numbers: Vec<i64>,
    request_ids: Vec<Option<&'a str>>,
    outcomes: Vec<&'a str>,
    reasons: Vec<Option<&'static str>>,
    at: Vec<i64>,
}

impl<'a> AttemptLog<'a> {
    /// Logs attempt number `number` of item `id` (of visit `seq` of `journey`).
    pub(in crate::postgres) fn push(
        &mut self,
        id: i64,
        (journey, seq): (i64, i64),
        number: i64,
        attempt: &LoggedAttempt<'a>,
    ) {
        self.item_ids.push(id);
        self.journeys.push(journey);
        self.seqs.push(seq);
        self.numbers.push(number);
        self.request_ids.push(attempt.request_id);
        self.outcomes.push(attempt.outcome);
        self.reasons.push(attempt.reason);
        self.at.push(attempt.at);
    }

    pub(in crate::postgres) async fn write(
        self,
        conn: &mut PgConnection,
    ) -> Result<(), StoreError> {
        if self.item_ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO sync_attempts (item_id, journey_id, visit_seq, attempt, request_id,
                 outcome, reason, at)
             SELECT t.item_id, t.journey_id, t.visit_seq, t.attempt, t.request_id, t.outcome,
                 t.reason, t.at
             FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
                         $6::text[], $7::text[], $8::bigint[]) WITH ORDINALITY
                 AS t(item_id, journey_id, visit_seq, attempt, request_id, outcome, reason, at, n)
             ORDER BY t.n",
        )
        .bind(self.item_ids)
        .bind(self.journeys)
        .bind(self.seqs)
        .bind(self.numbers)
        .bind(self.request_ids)
        .bind(self.outcomes)
        .bind(self.reasons)
        .bind(self.at)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Deletes each item, records its outcome on its journey visit and moves `pending` to the
/// outcome's counter; items in `final_attempts` also get that attempt logged and counted
/// (their number is the stored count plus one, so the rows are not updated before the
/// delete).
pub(in crate::postgres) async fn complete_logging_attempts(
    conn: &mut PgConnection,
    outcomes: &[(SyncItemId, SyncOutcome)],
    final_attempts: &HashMap<SyncItemId, LoggedAttempt<'_>>,
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
    let mut log = AttemptLog::default();
    for (id, outcome) in outcomes {
        // An id named twice is finished by its first outcome; the second is unknown.
        let Some(mut item) = finished.remove(&id.0) else {
            report.unknown += 1;
            continue;
        };
        if let Some(attempt) = final_attempts.get(id) {
            item.attempts += 1;
            log.push(id.0, (item.journey, item.seq), item.attempts, attempt);
        }
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
    log.write(conn).await?;
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
