//! Turning stored counter rows into [`CanvasCounts`], the same way for every backend: each
//! backend reads its rows, then [`accumulate`]s them and calls [`finish`].

use pinsync_core::canvas::StepId;

use crate::canvas_model::CanvasCounts;

/// The step id under which Canvas-wide counters (entered, exited) are stored.
pub(crate) const CANVAS_WIDE: &str = "";

pub(crate) fn as_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Adds `value` of `metric` (with `reason`) for `step` to `counts`.
pub(crate) fn accumulate(
    counts: &mut CanvasCounts,
    step: &str,
    metric: &str,
    reason: String,
    value: i64,
) {
    let value = as_count(value);
    if step == CANVAS_WIDE {
        match metric {
            "entered" => counts.entered += value,
            "exited" => counts.exited += value,
            _ => {}
        }
        return;
    }
    let step_counts = counts.steps.entry(StepId::new(step)).or_default();
    match metric {
        "entered" => step_counts.entered += value,
        "proceeded" => step_counts.proceeded += value,
        "synced" => step_counts.synced += value,
        "pending" => step_counts.pending += value,
        "exited" => step_counts.exited += value,
        "not_synced" => *step_counts.not_synced.entry(reason).or_default() += value,
        "errored" => *step_counts.errored.entry(reason).or_default() += value,
        _ => {}
    }
}

/// Derives each step's `in_step` and drops empty reasons, once every row is accumulated.
pub(crate) fn finish(counts: &mut CanvasCounts) {
    for step in counts.steps.values_mut() {
        step.in_step = step.entered.saturating_sub(step.proceeded);
        step.not_synced.retain(|_, n| *n > 0);
        step.errored.retain(|_, n| *n > 0);
    }
}
