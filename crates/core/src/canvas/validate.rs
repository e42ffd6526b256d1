//! Local validation of a Canvas: the Canvas's own fields and each step's settings. The graph
//! checks are in `graph`; checks needing I/O come through `ExternalChecks`.

use super::CanvasDefinition;
use super::condition::ConditionOp;
use super::graph::structure_problems;
use super::problem::{ProblemCode, ValidationProblem};
use super::step::{
    AudienceRef, AudienceSyncStep, DecisionSplitStep, DelayStep, PINTEREST_PARTNER, Step, StepKind,
};

/// The longest step id accepted, in characters.
pub const MAX_STEP_ID_CHARS: usize = 64;

/// The longest delay accepted: 365 days, in seconds.
pub const MAX_DELAY_SECONDS: u64 = 365 * 24 * 60 * 60;

/// Every problem found without I/O, Canvas-wide ones first, then per step in step order.
pub(super) fn local_problems(canvas: &CanvasDefinition) -> Vec<ValidationProblem> {
    let mut problems = Vec::new();
    if canvas.name.trim().is_empty() {
        problems.push(ValidationProblem::canvas(
            ProblemCode::CanvasNameEmpty,
            "The Canvas has no name: give it one.",
        ));
    }
    if canvas.steps.is_empty() {
        problems.push(ValidationProblem::canvas(
            ProblemCode::NoSteps,
            "The Canvas has no steps: add at least one.",
        ));
    }
    problems.extend(structure_problems(canvas));
    for step in &canvas.steps {
        step_problems(canvas, step, &mut problems);
    }
    problems
}

fn step_problems(canvas: &CanvasDefinition, step: &Step, problems: &mut Vec<ValidationProblem>) {
    step_id_problems(step, problems);
    if step.name.trim().is_empty() {
        problems.push(ValidationProblem::step(
            &step.id,
            ProblemCode::StepNameEmpty,
            "The step has no name: give it one.",
        ));
    }
    let mut push = |code: ProblemCode, message: String| {
        problems.push(ValidationProblem::step(&step.id, code, message));
    };
    match &step.kind {
        StepKind::AudienceSync(sync) => audience_sync_problems(canvas, step, sync, &mut push),
        StepKind::Delay(delay) => delay_problems(delay, &mut push),
        StepKind::DecisionSplit(split) => decision_split_problems(split, &mut push),
    }
}

fn step_id_problems(step: &Step, problems: &mut Vec<ValidationProblem>) {
    let id = step.id.as_str();
    let is_allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if id.is_empty() {
        problems.push(ValidationProblem::step(
            &step.id,
            ProblemCode::StepIdEmpty,
            "A step has no id: give it one made of letters, digits, `_` and `-`.",
        ));
        return;
    }
    if !id.chars().all(is_allowed) {
        problems.push(ValidationProblem::step(
            &step.id,
            ProblemCode::StepIdInvalid,
            format!("The step id `{id}` may only use letters, digits, `_` and `-`: rename it."),
        ));
    }
    if id.chars().count() > MAX_STEP_ID_CHARS {
        problems.push(ValidationProblem::step(
            &step.id,
            ProblemCode::StepIdTooLong,
            format!("The step id is longer than {MAX_STEP_ID_CHARS} characters: shorten it."),
        ));
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn audience_sync_problems(
    canvas: &CanvasDefinition,
    step: &Step,
    sync: &AudienceSyncStep,
    push: &mut impl FnMut(ProblemCode, String),
) {
    if sync.partner != PINTEREST_PARTNER {
        push(
            ProblemCode::PartnerUnsupported,
            format!(
                "The partner is `{}`, but only `{PINTEREST_PARTNER}` is supported: set `partner` to `{PINTEREST_PARTNER}`.",
                sync.partner
            ),
        );
    }
    let ad_account = sync.ad_account_id.trim();
    if ad_account.is_empty() {
        push(
            ProblemCode::AdAccountMissing,
            "No ad account is chosen: connect Pinterest and choose an ad account.".to_owned(),
        );
    } else if !is_digits(ad_account) {
        push(
            ProblemCode::AdAccountInvalid,
            format!(
                "The ad account id `{ad_account}` is not a Pinterest ad account id (digits only): choose an ad account from the list."
            ),
        );
    }
    audience_problems(canvas, step, sync, push);
    if sync.match_fields.is_empty() {
        push(
            ProblemCode::MatchFieldsEmpty,
            "No fields to match are chosen: choose at least one of email, gaid and idfa."
                .to_owned(),
        );
    }
    for (position, field) in sync.match_fields.iter().enumerate() {
        if sync.match_fields[..position].contains(field) {
            push(
                ProblemCode::MatchFieldDuplicate,
                format!("The match field `{field}` is listed more than once: list it once."),
            );
        }
    }
}

fn audience_problems(
    canvas: &CanvasDefinition,
    step: &Step,
    sync: &AudienceSyncStep,
    push: &mut impl FnMut(ProblemCode, String),
) {
    match &sync.audience {
        None => push(
            ProblemCode::AudienceMissing,
            "No audience is chosen: name a new audience or select an existing one.".to_owned(),
        ),
        Some(AudienceRef::New { name, .. }) if name.trim().is_empty() => push(
            ProblemCode::AudienceNameEmpty,
            "The new audience has no name: type a name for it.".to_owned(),
        ),
        Some(AudienceRef::New { .. }) => {}
        Some(AudienceRef::Existing { audience_id }) => {
            let audience_id = audience_id.trim();
            if audience_id.is_empty() {
                push(
                    ProblemCode::AudienceIdMissing,
                    "No existing audience is selected: select one.".to_owned(),
                );
            } else if !is_digits(audience_id) {
                push(
                    ProblemCode::AudienceIdInvalid,
                    format!(
                        "The audience id `{audience_id}` is not a Pinterest audience id (digits only): select the audience from the list."
                    ),
                );
            }
        }
        Some(AudienceRef::Step { step: owner_id }) => {
            referenced_audience_problems(canvas, step, sync, owner_id, push);
        }
    }
}

fn referenced_audience_problems(
    canvas: &CanvasDefinition,
    step: &Step,
    sync: &AudienceSyncStep,
    owner_id: &str,
    push: &mut impl FnMut(ProblemCode, String),
) {
    if owner_id == step.id.as_str() {
        push(
            ProblemCode::AudienceStepSelf,
            "The audience refers to this very step: name a new audience, select an existing one, or refer to another Audience Sync step.".to_owned(),
        );
        return;
    }
    let Some(owner) = canvas.step(owner_id).and_then(Step::as_audience_sync) else {
        push(
            ProblemCode::AudienceStepUnknown,
            format!(
                "The audience refers to `{owner_id}`, which is not an Audience Sync step of this Canvas: refer to one that is."
            ),
        );
        return;
    };
    if let Some(AudienceRef::Step { .. }) = owner.audience {
        push(
            ProblemCode::AudienceStepChained,
            format!(
                "The audience refers to `{owner_id}`, whose audience is itself a reference: refer to the step that names the audience."
            ),
        );
    }
    if owner.ad_account_id.trim() != sync.ad_account_id.trim() {
        push(
            ProblemCode::AudienceStepOtherAdAccount,
            format!(
                "The audience refers to `{owner_id}`, which uses a different ad account: choose the same ad account as that step."
            ),
        );
    }
}

fn delay_problems(delay: &DelayStep, push: &mut impl FnMut(ProblemCode, String)) {
    if delay.duration_seconds == 0 {
        push(
            ProblemCode::DelayZero,
            "The delay is zero: set `duration_seconds` to at least 1, or remove the step."
                .to_owned(),
        );
    } else if delay.duration_seconds > MAX_DELAY_SECONDS {
        push(
            ProblemCode::DelayTooLong,
            format!("The delay is longer than 365 days ({MAX_DELAY_SECONDS} seconds): shorten it."),
        );
    }
}

fn decision_split_problems(split: &DecisionSplitStep, push: &mut impl FnMut(ProblemCode, String)) {
    let condition = &split.condition;
    if condition.attribute.trim().is_empty() {
        push(
            ProblemCode::ConditionAttributeEmpty,
            "The condition names no attribute: choose the attribute to test.".to_owned(),
        );
    }
    match condition.op {
        ConditionOp::Exists => {}
        ConditionOp::Equals if condition.value.is_none() => push(
            ProblemCode::ConditionValueMissing,
            "`equals` has no value to compare with: set `value`.".to_owned(),
        ),
        ConditionOp::Equals => {}
        ConditionOp::GreaterThan => {
            let comparable = condition
                .value
                .as_ref()
                .is_some_and(|value| value.is_number() || value.is_string());
            if !comparable {
                push(
                    ProblemCode::ConditionValueNotComparable,
                    "`greater_than` needs a number or a string (such as an ISO-8601 date) as `value`: set one.".to_owned(),
                );
            }
        }
    }
}
