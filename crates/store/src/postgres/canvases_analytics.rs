//! Reading step analytics on PostgreSQL: counter totals, daily series, a recount from the raw
//! rows (journeys, visits, sync items), and user traces.

use std::collections::BTreeMap;

use pinsync_core::canvas::StepId;
use sqlx::{PgConnection, Row};

use crate::canvas_model::tally::{accumulate, as_count, finish};
use crate::canvas_model::{CanvasCounts, CanvasId, DailyCounts, JourneyTrace, VisitRecord};
use crate::error::StoreError;

pub(super) async fn totals(
    conn: &mut PgConnection,
    canvas: CanvasId,
) -> Result<CanvasCounts, StoreError> {
    let rows = sqlx::query(
        "SELECT step_id, metric, reason, SUM(value)::bigint FROM canvas_counters
         WHERE canvas_id = $1 GROUP BY step_id, metric, reason",
    )
    .bind(canvas.0)
    .fetch_all(conn)
    .await?;
    let mut counts = CanvasCounts::default();
    for row in rows {
        let step: String = row.try_get(0)?;
        let metric: String = row.try_get(1)?;
        accumulate(
            &mut counts,
            &step,
            &metric,
            row.try_get(2)?,
            row.try_get(3)?,
        );
    }
    finish(&mut counts);
    Ok(counts)
}

pub(super) async fn daily(
    conn: &mut PgConnection,
    canvas: CanvasId,
    first_day: i64,
    last_day: i64,
) -> Result<Vec<DailyCounts>, StoreError> {
    let rows = sqlx::query(
        "SELECT day, step_id, metric, reason, value FROM canvas_counters
         WHERE canvas_id = $1 AND day BETWEEN $2 AND $3",
    )
    .bind(canvas.0)
    .bind(first_day)
    .bind(last_day)
    .fetch_all(conn)
    .await?;
    let mut days: BTreeMap<i64, CanvasCounts> = BTreeMap::new();
    for row in rows {
        let step: String = row.try_get(1)?;
        let metric: String = row.try_get(2)?;
        let counts = days.entry(row.try_get(0)?).or_default();
        accumulate(counts, &step, &metric, row.try_get(3)?, row.try_get(4)?);
    }
    Ok(days
        .into_iter()
        .map(|(day, mut counts)| {
            finish(&mut counts);
            DailyCounts { day, counts }
        })
        .collect())
}

pub(super) async fn recount(
    conn: &mut PgConnection,
    canvas: CanvasId,
) -> Result<CanvasCounts, StoreError> {
    let mut counts = CanvasCounts::default();
    let row = sqlx::query("SELECT COUNT(*), COUNT(exited_at) FROM journeys WHERE canvas_id = $1")
        .bind(canvas.0)
        .fetch_one(&mut *conn)
        .await?;
    counts.entered = as_count(row.try_get(0)?);
    counts.exited = as_count(row.try_get(1)?);
    let rows = sqlx::query(
        "SELECT step_id, COUNT(*), COUNT(left_at), COUNT(*) FILTER (WHERE exited),
             COUNT(*) FILTER (WHERE outcome = 'synced')
         FROM journey_visits WHERE canvas_id = $1 GROUP BY step_id",
    )
    .bind(canvas.0)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let step: String = row.try_get(0)?;
        let step_counts = counts.steps.entry(StepId(step)).or_default();
        step_counts.entered = as_count(row.try_get(1)?);
        step_counts.proceeded = as_count(row.try_get(2)?);
        step_counts.exited = as_count(row.try_get(3)?);
        step_counts.synced = as_count(row.try_get(4)?);
    }
    let rows = sqlx::query(
        "SELECT step_id, outcome, reason, COUNT(*) FROM journey_visits
         WHERE canvas_id = $1 AND outcome IN ('not_synced', 'errored')
         GROUP BY step_id, outcome, reason",
    )
    .bind(canvas.0)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let step: String = row.try_get(0)?;
        let outcome: String = row.try_get(1)?;
        let reason: Option<String> = row.try_get(2)?;
        accumulate(
            &mut counts,
            &step,
            &outcome,
            reason.unwrap_or_default(),
            row.try_get(3)?,
        );
    }
    let rows = sqlx::query(
        "SELECT step_id, COUNT(*) FROM sync_items WHERE canvas_id = $1 GROUP BY step_id",
    )
    .bind(canvas.0)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let step: String = row.try_get(0)?;
        accumulate(
            &mut counts,
            &step,
            "pending",
            String::new(),
            row.try_get(1)?,
        );
    }
    finish(&mut counts);
    Ok(counts)
}

pub(super) async fn traces(
    conn: &mut PgConnection,
    canvas: CanvasId,
    external_id: &str,
) -> Result<Vec<JourneyTrace>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, entered_at, exited_at, current_step, wake_at FROM journeys
         WHERE canvas_id = $1 AND external_id = $2 ORDER BY id",
    )
    .bind(canvas.0)
    .bind(external_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut traces = Vec::with_capacity(rows.len());
    for row in rows {
        traces.push(JourneyTrace {
            journey_id: row.try_get(0)?,
            entered_at: row.try_get(1)?,
            exited_at: row.try_get(2)?,
            waiting_in: row.try_get::<Option<String>, _>(3)?.map(StepId),
            wake_at: row.try_get(4)?,
            visits: Vec::new(),
        });
    }
    let journey_ids: Vec<i64> = traces.iter().map(|trace| trace.journey_id).collect();
    let rows = sqlx::query(
        "SELECT journey_id, step_id, entered_at, left_at, exited, outcome, reason, attempts,
             request_ids
         FROM journey_visits WHERE journey_id = ANY($1::bigint[]) ORDER BY journey_id, seq",
    )
    .bind(&journey_ids)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let journey_id: i64 = row.try_get(0)?;
        let attempts: i64 = row.try_get(7)?;
        let request_ids: String = row.try_get(8)?;
        let visit = VisitRecord {
            step_id: StepId(row.try_get(1)?),
            entered_at: row.try_get(2)?,
            left_at: row.try_get(3)?,
            exited: row.try_get(4)?,
            outcome: row.try_get(5)?,
            reason: row.try_get(6)?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            request_ids: serde_json::from_str(&request_ids)
                .map_err(|e| StoreError::Corrupt(format!("visit request ids: {e}")))?,
        };
        if let Some(trace) = traces.iter_mut().find(|t| t.journey_id == journey_id) {
            trace.visits.push(visit);
        }
    }
    Ok(traces)
}
