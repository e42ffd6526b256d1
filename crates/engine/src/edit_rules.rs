//! Which edits a launched (active or stopped) Canvas accepts.
//!
//! Allowed: renaming the Canvas or steps, changing delay durations (for users entering the
//! delay afterwards), changing a split's condition, changing match fields, adding steps
//! and linking them in, removing or retyping steps nobody ever entered.
//! Refused: removing or retyping a step that holds users or has history, changing an
//! audience-sync step's audience, ad account or action.

use pinsync_core::canvas::{CanvasDefinition, StepId, StepKind};

use crate::EditProblem;

/// The outcome of reviewing an edit.
pub(crate) struct EditReview {
    pub problems: Vec<EditProblem>,
    /// Steps removed or retyped that must still be unused when the edit is written.
    pub must_be_unused: Vec<StepId>,
}

pub(crate) fn in_use_problem(step: &StepId) -> EditProblem {
    EditProblem {
        step_id: Some(step.clone()),
        message: format!(
            "step `{step}` holds users or has history, so it cannot be removed or change type; \
             keep it (you may rename it or relink around it)"
        ),
    }
}

/// Compares the launched definition with the proposed one.
pub(crate) fn review(
    current: &CanvasDefinition,
    proposed: &CanvasDefinition,
    history: &[StepId],
) -> EditReview {
    let mut review = EditReview {
        problems: Vec::new(),
        must_be_unused: Vec::new(),
    };
    for old in &current.steps {
        let used = history.contains(&old.id);
        let new = proposed.step(&old.id);
        let same_type = new.is_some_and(|new| new.type_name() == old.type_name());
        if !same_type {
            if used {
                review.problems.push(in_use_problem(&old.id));
            } else {
                review.must_be_unused.push(old.id.clone());
            }
            continue;
        }
        let (StepKind::AudienceSync(before), Some(StepKind::AudienceSync(after))) =
            (&old.kind, new.map(|step| &step.kind))
        else {
            continue;
        };
        let mut refuse = |what: &str| {
            review.problems.push(EditProblem {
                step_id: Some(old.id.clone()),
                message: format!(
                    "the {what} of audience-sync step `{}` cannot change after launch; \
                     add a new audience-sync step instead",
                    old.id
                ),
            })
        };
        if before.action != after.action {
            refuse("action");
        }
        if before.ad_account_id != after.ad_account_id {
            refuse("ad account");
        }
        if !same_audience(before.audience.as_ref(), after.audience.as_ref()) {
            refuse("audience");
        }
    }
    review
}

/// The same audience, ignoring the ids Pinterest filled in once a new audience was created.
fn same_audience(
    before: Option<&pinsync_core::canvas::AudienceRef>,
    after: Option<&pinsync_core::canvas::AudienceRef>,
) -> bool {
    use pinsync_core::canvas::AudienceRef::New;
    match (before, after) {
        (
            Some(New {
                name: a,
                created: x,
            }),
            Some(New {
                name: b,
                created: y,
            }),
        ) => a == b && (x.is_none() || x == y),
        (before, after) => before == after,
    }
}
