//! Counter deltas on PostgreSQL: aggregated in memory during a transaction and written once at
//! its end by one statement, in key order, so that two instances moving users of the same
//! Canvas at once lock the shared counter rows in the same order (no deadlock) and hold them
//! only until the commit that follows.

use std::collections::BTreeMap;

use pinsync_core::canvas::StepId;
use pinsync_core::metrics::StepMetric;
use sqlx::PgConnection;

use crate::canvas_model::{CanvasId, day_of};
use crate::error::StoreError;

pub(super) use crate::canvas_model::tally::CANVAS_WIDE;

/// A counter's key, ordered like the table's primary key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CounterKey {
    canvas: i64,
    step: String,
    metric: &'static str,
    reason: String,
    day: i64,
}

/// Counter changes not yet written.
#[derive(Debug, Default)]
pub(in crate::postgres) struct CounterDeltas {
    deltas: BTreeMap<CounterKey, i64>,
}

impl CounterDeltas {
    /// Adds `by` to a step metric (`reason` is `""` when the metric has none) at time `at`.
    pub(in crate::postgres) fn add(
        &mut self,
        canvas: CanvasId,
        step: &str,
        metric: StepMetric,
        reason: &str,
        at: i64,
        by: i64,
    ) {
        self.add_on_day(canvas, step, metric, reason, day_of(at), by);
    }

    /// Adds `by` to a step metric on a given UTC day.
    pub(in crate::postgres) fn add_on_day(
        &mut self,
        canvas: CanvasId,
        step: &str,
        metric: StepMetric,
        reason: &str,
        day: i64,
        by: i64,
    ) {
        let key = CounterKey {
            canvas: canvas.0,
            step: step.to_owned(),
            metric: metric.as_str(),
            reason: reason.to_owned(),
            day,
        };
        *self.deltas.entry(key).or_insert(0) += by;
    }

    /// Adds one to a Canvas-wide metric (`entered` or `exited`).
    pub(super) fn canvas(&mut self, canvas: CanvasId, metric: StepMetric, at: i64) {
        self.add(canvas, CANVAS_WIDE, metric, "", at, 1);
    }

    /// Writes every non-zero delta in one statement, in primary-key order.
    pub(in crate::postgres) async fn apply(
        self,
        conn: &mut PgConnection,
    ) -> Result<(), StoreError> {
        let mut canvases = Vec::new();
        let mut steps = Vec::new();
        let mut metrics = Vec::new();
        let mut reasons = Vec::new();
        let mut days = Vec::new();
        let mut values = Vec::new();
        for (key, by) in self.deltas {
            if by == 0 {
                continue;
            }
            canvases.push(key.canvas);
            steps.push(key.step);
            metrics.push(key.metric);
            reasons.push(key.reason);
            days.push(key.day);
            values.push(by);
        }
        if canvases.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO canvas_counters AS c (canvas_id, step_id, metric, reason, day, value)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[],
                                  $5::bigint[], $6::bigint[])
             ON CONFLICT (canvas_id, step_id, metric, reason, day)
             DO UPDATE SET value = c.value + EXCLUDED.value",
        )
        .bind(canvases)
        .bind(steps)
        .bind(metrics)
        .bind(reasons)
        .bind(days)
        .bind(values)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// The steps of the Canvas that have ever been entered.
pub(super) async fn steps_with_history(
    conn: &mut PgConnection,
    canvas: CanvasId,
) -> Result<Vec<StepId>, StoreError> {
    let steps: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT step_id FROM canvas_counters
         WHERE canvas_id = $1 AND metric = 'entered' AND step_id <> '' AND value > 0
         ORDER BY step_id",
    )
    .bind(canvas.0)
    .fetch_all(conn)
    .await?;
    Ok(steps.into_iter().map(StepId).collect())
}
