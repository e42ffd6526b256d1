//! Fuzzes Canvas JSON parsing and validation. A parse error points inside the input and
//! says what is wrong; a parsed Canvas survives a JSON round trip unchanged; `validate`
//! never panics, gives the same answer twice and on the round-tripped Canvas, reports only
//! local problem codes, and every problem names a step that exists, or none.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pinsync_core::canvas::{CanvasDefinition, NoExternalChecks, ProblemCode};

/// Codes only `ExternalChecks` may report: `validate` does no I/O.
const EXTERNAL_CODES: &[ProblemCode] = &[
    ProblemCode::ConnectionMissing,
    ProblemCode::TokenInvalid,
    ProblemCode::AdAccountUnreachable,
    ProblemCode::AudienceNotCreated,
    ProblemCode::AudienceNotFound,
    ProblemCode::ExternalCheckFailed,
];

fuzz_target!(|json: &str| {
    let canvas = match CanvasDefinition::parse_json(json) {
        Ok(canvas) => canvas,
        Err(error) => {
            let lines: Vec<&str> = json.split('\n').collect();
            assert!(
                error.line <= lines.len(),
                "line {} of {}: {error}",
                error.line,
                lines.len()
            );
            if error.line > 0 {
                let line_bytes = lines[error.line - 1].len();
                assert!(
                    error.column <= line_bytes + 1,
                    "column past its line: {error}"
                );
            }
            assert!(!error.detail.is_empty(), "{error}");
            return;
        }
    };

    let problems = canvas.validate();
    assert_eq!(problems, canvas.validate(), "validation is deterministic");
    assert_eq!(problems, canvas.validate_with(&NoExternalChecks));
    for problem in &problems {
        assert!(!EXTERNAL_CODES.contains(&problem.code), "{problem}");
        assert!(!problem.message.trim().is_empty(), "{problem:?}");
        if let Some(step_id) = &problem.step_id {
            assert!(
                canvas.steps.iter().any(|step| &step.id == step_id),
                "problem names a step that does not exist: {problem}"
            );
        }
    }

    let serialized = serde_json::to_string(&canvas).expect("a parsed Canvas serializes");
    let reparsed = CanvasDefinition::parse_json(&serialized)
        .unwrap_or_else(|error| panic!("a serialized Canvas does not parse: {error}"));
    assert_eq!(reparsed, canvas, "the JSON round trip changed the Canvas");
    assert_eq!(reparsed.validate(), problems);

    for (index, step) in canvas.steps.iter().enumerate() {
        // An id names its first step; a later step with the same id is a duplicate that
        // validation must report, and `next_steps` follows the first one.
        let named = canvas.step(&step.id).expect("a listed step's id resolves");
        if !std::ptr::eq(named, step) {
            assert!(
                problems
                    .iter()
                    .any(|p| p.code == ProblemCode::DuplicateStepId),
                "step {index} repeats id {:?} without a duplicate_step_id problem",
                step.id
            );
        }
        for next in canvas.next_steps(&step.id) {
            assert!(named.successor_ids().contains(&&next.id));
        }
        if let Some(sync) = step.as_audience_sync() {
            let _ = canvas.resolve_audience(sync);
        }
    }
});
