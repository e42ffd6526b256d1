//! The hook for checks that need I/O, and the stable names of problem codes.

use std::cell::RefCell;

use pinsync_core::canvas::{
    AudienceSyncStep, ExternalChecks, ProblemCode, Step, ValidationProblem,
};
use serde_json::json;

use crate::fixtures::example_with;

/// Records the steps it was asked about and reports each as having an invalid token.
#[derive(Default)]
struct TokenAlwaysInvalid {
    checked: RefCell<Vec<String>>,
}

impl ExternalChecks for TokenAlwaysInvalid {
    fn check_audience_sync(&self, step: &Step, _sync: &AudienceSyncStep) -> Vec<ValidationProblem> {
        self.checked.borrow_mut().push(step.id.0.clone());
        vec![ValidationProblem::step(
            &step.id,
            ProblemCode::TokenInvalid,
            "Reconnect Pinterest: the token was rejected.",
        )]
    }
}

#[test]
fn validate_with_adds_external_problems_to_local_ones() {
    let canvas = example_with(|c| c["name"] = json!(""));
    let checks = TokenAlwaysInvalid::default();
    let codes: Vec<ProblemCode> = canvas
        .validate_with(&checks)
        .into_iter()
        .map(|p| p.code)
        .collect();
    assert_eq!(
        codes,
        [
            ProblemCode::CanvasNameEmpty,
            ProblemCode::TokenInvalid,
            ProblemCode::TokenInvalid
        ]
    );
    assert_eq!(*checks.checked.borrow(), ["add_vip", "remove_vip"]);
}

#[test]
fn external_checks_skip_steps_that_already_have_a_local_problem() {
    let canvas = example_with(|c| c["steps"][3]["ad_account_id"] = json!("abc"));
    let checks = TokenAlwaysInvalid::default();
    let problems = canvas.validate_with(&checks);
    assert_eq!(*checks.checked.borrow(), ["add_vip"]);
    assert!(
        problems
            .iter()
            .any(|p| p.code == ProblemCode::AdAccountInvalid)
    );
}

#[test]
fn problem_codes_have_stable_distinct_names() {
    let mut names: Vec<&str> = ProblemCode::ALL.iter().map(|code| code.as_str()).collect();
    for &code in ProblemCode::ALL {
        assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        assert_eq!(code.to_string(), code.as_str());
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ProblemCode::ALL.len());
}
