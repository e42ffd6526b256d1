//! Counter deltas: aggregated in memory during a transaction and applied once at its end, so
//! a chunk of thousands of users costs a handful of counter writes.

use std::collections::HashMap;

use pinsync_core::canvas::StepId;
use pinsync_core::metrics::StepMetric;
use rusqlite::Connection;

use crate::canvas_model::{CanvasId, day_of};
use crate::error::StoreError;

pub(super) use crate::canvas_model::tally::CANVAS_WIDE;

/// A counter of one step, without the step (deltas are grouped by step first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CounterKey {
    canvas: i64,
    metric: &'static str,
    reason: &'static str,
    day: i64,
}

/// Counter changes not yet written, by step id: looking a step up by `&str` allocates
/// nothing, which matters when a chunk of thousands of users adds several deltas each.
#[derive(Debug, Default)]
pub(super) struct CounterDeltas {
    by_step: HashMap<String, HashMap<CounterKey, i64>>,
}

impl CounterDeltas {
    /// Adds `by` to a step metric (`reason` is `""` when the metric has none) at time `at`.
    pub(super) fn add(
        &mut self,
        canvas: CanvasId,
        step: &str,
        metric: StepMetric,
        reason: &'static str,
        at: i64,
        by: i64,
    ) {
        let key = CounterKey {
            canvas: canvas.0,
            metric: metric.as_str(),
            reason,
            day: day_of(at),
        };
        let counters = match self.by_step.get_mut(step) {
            Some(counters) => counters,
            None => self.by_step.entry(step.to_owned()).or_default(),
        };
        *counters.entry(key).or_insert(0) += by;
    }

    /// Adds one to a Canvas-wide metric (`entered` or `exited`).
    pub(super) fn canvas(&mut self, canvas: CanvasId, metric: StepMetric, at: i64) {
        self.add(canvas, CANVAS_WIDE, metric, "", at, 1);
    }

    /// Writes every delta.
    pub(super) fn apply(self, conn: &Connection) -> Result<(), StoreError> {
        let mut upsert = conn.prepare_cached(
            "INSERT INTO canvas_counters (canvas_id, step_id, metric, reason, day, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (canvas_id, step_id, metric, reason, day)
             DO UPDATE SET value = value + excluded.value",
        )?;
        for (step, counters) in self.by_step {
            for (key, by) in counters {
                if by == 0 {
                    continue;
                }
                upsert.execute((key.canvas, &step, key.metric, key.reason, key.day, by))?;
            }
        }
        Ok(())
    }
}

/// The steps of the Canvas that have ever been entered.
pub(super) fn steps_with_history(
    conn: &Connection,
    canvas: CanvasId,
) -> Result<Vec<StepId>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT step_id FROM canvas_counters
         WHERE canvas_id = ?1 AND metric = 'entered' AND step_id <> '' AND value > 0
         ORDER BY step_id",
    )?;
    let steps = statement
        .query_map([canvas.0], |row| row.get::<_, String>(0))?
        .map(|step| step.map(StepId))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(steps)
}
