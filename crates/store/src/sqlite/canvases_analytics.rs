//! Reading step analytics in SQLite: counter totals, daily series, a recount from the raw
//! rows (journeys, visits, sync items), and user traces.

use std::collections::BTreeMap;

use pinsync_core::canvas::StepId;
use rusqlite::{Connection, params};

use crate::canvas_model::tally::{accumulate, as_count, finish};
use crate::canvas_model::{CanvasCounts, CanvasId, DailyCounts, JourneyTrace, VisitRecord};
use crate::error::StoreError;

pub(super) fn totals(conn: &Connection, canvas: CanvasId) -> Result<CanvasCounts, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT step_id, metric, reason, SUM(value) FROM canvas_counters WHERE canvas_id = ?1
         GROUP BY step_id, metric, reason",
    )?;
    let mut rows = statement.query([canvas.0])?;
    let mut counts = CanvasCounts::default();
    while let Some(row) = rows.next()? {
        let step: String = row.get(0)?;
        let metric: String = row.get(1)?;
        accumulate(&mut counts, &step, &metric, row.get(2)?, row.get(3)?);
    }
    finish(&mut counts);
    Ok(counts)
}

pub(super) fn daily(
    conn: &Connection,
    canvas: CanvasId,
    first_day: i64,
    last_day: i64,
) -> Result<Vec<DailyCounts>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT day, step_id, metric, reason, value FROM canvas_counters
         WHERE canvas_id = ?1 AND day BETWEEN ?2 AND ?3",
    )?;
    let mut rows = statement.query(params![canvas.0, first_day, last_day])?;
    let mut days: BTreeMap<i64, CanvasCounts> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let step: String = row.get(1)?;
        let metric: String = row.get(2)?;
        let counts = days.entry(row.get(0)?).or_default();
        accumulate(counts, &step, &metric, row.get(3)?, row.get(4)?);
    }
    Ok(days
        .into_iter()
        .map(|(day, mut counts)| {
            finish(&mut counts);
            DailyCounts { day, counts }
        })
        .collect())
}

pub(super) fn recount(conn: &Connection, canvas: CanvasId) -> Result<CanvasCounts, StoreError> {
    let mut counts = CanvasCounts::default();
    let (entered, exited): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COUNT(exited_at) FROM journeys WHERE canvas_id = ?1",
        [canvas.0],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    counts.entered = as_count(entered);
    counts.exited = as_count(exited);
    let mut per_step = conn.prepare(
        "SELECT step_id, COUNT(*), COUNT(left_at), SUM(exited), COUNT(CASE WHEN outcome = 'synced' THEN 1 END)
         FROM journey_visits WHERE canvas_id = ?1 GROUP BY step_id",
    )?;
    let mut rows = per_step.query([canvas.0])?;
    while let Some(row) = rows.next()? {
        let step: String = row.get(0)?;
        let step_counts = counts.steps.entry(StepId(step)).or_default();
        step_counts.entered = as_count(row.get(1)?);
        step_counts.proceeded = as_count(row.get(2)?);
        step_counts.exited = as_count(row.get(3)?);
        step_counts.synced = as_count(row.get(4)?);
    }
    let mut by_reason = conn.prepare(
        "SELECT step_id, outcome, reason, COUNT(*) FROM journey_visits
         WHERE canvas_id = ?1 AND outcome IN ('not_synced', 'errored')
         GROUP BY step_id, outcome, reason",
    )?;
    let mut rows = by_reason.query([canvas.0])?;
    while let Some(row) = rows.next()? {
        let step: String = row.get(0)?;
        let outcome: String = row.get(1)?;
        let reason: Option<String> = row.get(2)?;
        accumulate(
            &mut counts,
            &step,
            &outcome,
            reason.unwrap_or_default(),
            row.get(3)?,
        );
    }
    let mut pending = conn.prepare(
        "SELECT step_id, COUNT(*) FROM sync_items WHERE canvas_id = ?1 GROUP BY step_id",
    )?;
    let mut rows = pending.query([canvas.0])?;
    while let Some(row) = rows.next()? {
        let step: String = row.get(0)?;
        accumulate(&mut counts, &step, "pending", String::new(), row.get(1)?);
    }
    finish(&mut counts);
    Ok(counts)
}

pub(super) fn traces(
    conn: &Connection,
    canvas: CanvasId,
    external_id: &str,
) -> Result<Vec<JourneyTrace>, StoreError> {
    let mut journeys = conn.prepare_cached(
        "SELECT id, entered_at, exited_at, current_step, wake_at FROM journeys
         WHERE canvas_id = ?1 AND external_id = ?2 ORDER BY id",
    )?;
    let mut traces: Vec<JourneyTrace> = journeys
        .query_map(params![canvas.0, external_id], |row| {
            Ok(JourneyTrace {
                journey_id: row.get(0)?,
                entered_at: row.get(1)?,
                exited_at: row.get(2)?,
                waiting_in: row.get::<_, Option<String>>(3)?.map(StepId),
                wake_at: row.get(4)?,
                visits: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut visits = conn.prepare_cached(
        "SELECT step_id, entered_at, left_at, exited, outcome, reason, attempts, request_ids
         FROM journey_visits WHERE journey_id = ?1 ORDER BY seq",
    )?;
    for trace in &mut traces {
        let rows = visits
            .query_map([trace.journey_id], |row| {
                Ok((
                    VisitRecord {
                        step_id: StepId(row.get(0)?),
                        entered_at: row.get(1)?,
                        left_at: row.get(2)?,
                        exited: row.get(3)?,
                        outcome: row.get(4)?,
                        reason: row.get(5)?,
                        attempts: row.get(6)?,
                        request_ids: Vec::new(),
                    },
                    row.get::<_, String>(7)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (mut visit, request_ids) in rows {
            visit.request_ids = serde_json::from_str(&request_ids)
                .map_err(|e| StoreError::Corrupt(format!("visit request ids: {e}")))?;
            trace.visits.push(visit);
        }
    }
    Ok(traces)
}
