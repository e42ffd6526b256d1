//! Shared test data: the documented example Canvas and helpers to vary it.

use pinsync_core::canvas::{CanvasDefinition, ProblemCode};
use serde_json::{Value, json};

/// The example Canvas from `docs/canvas.md`: valid, four steps, every step kind.
pub fn example_json() -> Value {
    json!({
        "name": "VIP retargeting",
        "entry_step_id": "add_vip",
        "reentry": "never",
        "steps": [
            {"id": "add_vip", "name": "Add VIPs", "type": "audience_sync",
             "partner": "pinterest", "ad_account_id": "549770573673",
             "audience": {"new": {"name": "VIP buyers"}},
             "action": "add", "match_fields": ["email", "gaid"], "next": "wait"},
            {"id": "wait", "name": "Wait a day", "type": "delay", "duration_seconds": 86400,
             "next": "is_gold"},
            {"id": "is_gold", "name": "Gold?", "type": "decision_split",
             "condition": {"attribute": "plan", "op": "equals", "value": "gold"},
             "yes": "remove_vip", "no": null},
            {"id": "remove_vip", "name": "Remove", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": "549770573673", "audience": {"step": "add_vip"}, "action": "remove",
             "match_fields": ["email"], "next": null}
        ]
    })
}

pub fn canvas_from(json: Value) -> CanvasDefinition {
    serde_json::from_value(json).expect("test canvas must deserialize")
}

/// The example after `change` is applied to its JSON.
pub fn example_with(change: impl FnOnce(&mut Value)) -> CanvasDefinition {
    let mut json = example_json();
    change(&mut json);
    canvas_from(json)
}

/// The problems as (step id, code) pairs, sorted, for comparing with expectations.
pub fn problem_keys(canvas: &CanvasDefinition) -> Vec<(Option<String>, ProblemCode)> {
    let mut keys: Vec<(Option<String>, ProblemCode)> = canvas
        .validate()
        .into_iter()
        .map(|problem| (problem.step_id.map(|id| id.0), problem.code))
        .collect();
    keys.sort();
    keys
}

/// Shorthand for an expected problem on a step.
pub fn on(step: &str, code: ProblemCode) -> (Option<String>, ProblemCode) {
    (Some(step.to_owned()), code)
}

/// Shorthand for an expected Canvas-wide problem.
pub fn canvas_wide(code: ProblemCode) -> (Option<String>, ProblemCode) {
    (None, code)
}
