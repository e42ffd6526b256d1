//! Validation problems: what is wrong with a Canvas, where, and what to do about it; and the
//! hook through which I/O code adds problems only a live connection can find.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::step::{AudienceSyncStep, Step, StepId};

/// One thing that stops a Canvas from launching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationProblem {
    /// The step at fault, or `None` for a problem with the Canvas as a whole.
    pub step_id: Option<StepId>,
    /// A stable machine-readable code.
    pub code: ProblemCode,
    /// A sentence for people that says what is wrong and what to do.
    pub message: String,
}

impl ValidationProblem {
    /// A problem with the Canvas as a whole.
    pub fn canvas(code: ProblemCode, message: impl Into<String>) -> Self {
        ValidationProblem {
            step_id: None,
            code,
            message: message.into(),
        }
    }

    /// A problem with one step.
    pub fn step(step_id: &StepId, code: ProblemCode, message: impl Into<String>) -> Self {
        ValidationProblem {
            step_id: Some(step_id.clone()),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.step_id {
            Some(step_id) => write!(f, "step `{step_id}`: {}: {}", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// Adds problems that need I/O to find (token valid, ad account reachable, audience
/// created). `CanvasDefinition::validate_with` calls it once per Audience Sync step that
/// has no problem of its own.
pub trait ExternalChecks {
    /// The problems with this step that only a live connection can reveal.
    fn check_audience_sync(&self, step: &Step, sync: &AudienceSyncStep) -> Vec<ValidationProblem>;
}

/// Checks nothing: for validating a Canvas without a connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExternalChecks;

impl ExternalChecks for NoExternalChecks {
    fn check_audience_sync(
        &self,
        _step: &Step,
        _sync: &AudienceSyncStep,
    ) -> Vec<ValidationProblem> {
        Vec::new()
    }
}

macro_rules! problem_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// What kind of problem a `ValidationProblem` is. The snake_case names are stable.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum ProblemCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ProblemCode {
            /// Every problem code, in declaration order.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)*];

            /// The stable snake_case name, identical to the serde name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $name,)*
                }
            }
        }
    };
}

problem_codes! {
    /// The Canvas name is blank.
    CanvasNameEmpty => "canvas_name_empty",
    /// The Canvas has no steps.
    NoSteps => "no_steps",
    /// `entry_step_id` is blank.
    EntryStepMissing => "entry_step_missing",
    /// `entry_step_id` names no step.
    EntryStepUnknown => "entry_step_unknown",
    /// Two steps share an id.
    DuplicateStepId => "duplicate_step_id",
    /// A step id is blank.
    StepIdEmpty => "step_id_empty",
    /// A step id has characters outside `[A-Za-z0-9_-]`.
    StepIdInvalid => "step_id_invalid",
    /// A step id is longer than 64 characters.
    StepIdTooLong => "step_id_too_long",
    /// A step name is blank.
    StepNameEmpty => "step_name_empty",
    /// `next`, `yes` or `no` names no step.
    NextStepUnknown => "next_step_unknown",
    /// Steps lead back to themselves.
    Cycle => "cycle",
    /// No path from the entry step reaches the step.
    UnreachableStep => "unreachable_step",
    /// The partner is not `pinterest`.
    PartnerUnsupported => "partner_unsupported",
    /// No ad account is chosen.
    AdAccountMissing => "ad_account_missing",
    /// The ad account id is not a string of digits.
    AdAccountInvalid => "ad_account_invalid",
    /// No audience is chosen.
    AudienceMissing => "audience_missing",
    /// A new audience has a blank name.
    AudienceNameEmpty => "audience_name_empty",
    /// An existing audience has a blank id.
    AudienceIdMissing => "audience_id_missing",
    /// An existing audience id is not a string of digits.
    AudienceIdInvalid => "audience_id_invalid",
    /// No match fields are chosen.
    MatchFieldsEmpty => "match_fields_empty",
    /// A match field is listed twice.
    MatchFieldDuplicate => "match_field_duplicate",
    /// `{"step": id}` names no Audience Sync step of this Canvas.
    AudienceStepUnknown => "audience_step_unknown",
    /// `{"step": id}` names the step itself.
    AudienceStepSelf => "audience_step_self",
    /// `{"step": id}` names a step whose audience is itself a `{"step": …}` reference.
    AudienceStepChained => "audience_step_chained",
    /// `{"step": id}` names a step on a different ad account.
    AudienceStepOtherAdAccount => "audience_step_other_ad_account",
    /// A delay of zero seconds.
    DelayZero => "delay_zero",
    /// A delay longer than 365 days.
    DelayTooLong => "delay_too_long",
    /// A decision split's attribute is blank.
    ConditionAttributeEmpty => "condition_attribute_empty",
    /// `equals` without a value.
    ConditionValueMissing => "condition_value_missing",
    /// `greater_than` without a number or string value.
    ConditionValueNotComparable => "condition_value_not_comparable",
    /// External: the workspace has no Pinterest connection.
    ConnectionMissing => "connection_missing",
    /// External: Pinterest rejects the connection's token.
    TokenInvalid => "token_invalid",
    /// External: the connection cannot reach the ad account.
    AdAccountUnreachable => "ad_account_unreachable",
    /// External: the new audience has not been created on Pinterest yet.
    AudienceNotCreated => "audience_not_created",
    /// External: the audience does not exist on Pinterest.
    AudienceNotFound => "audience_not_found",
    /// External: the check could not be made (e.g. Pinterest unreachable); try again.
    ExternalCheckFailed => "external_check_failed",
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
