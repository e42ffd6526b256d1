//! The Canvas model: a named graph of steps users flow through, its JSON form, and
//! navigation helpers. Validation lives in `validate` and `graph`; see `docs/canvas.md`.

mod condition;
mod graph;
mod problem;
mod step;
mod step_json;
mod timestamp;
mod validate;

use serde::{Deserialize, Serialize};

pub use condition::{Condition, ConditionOp};
pub use problem::{ExternalChecks, NoExternalChecks, ProblemCode, ValidationProblem};
pub use step::{
    AudienceRef, AudienceSyncStep, CreatedAudience, DecisionSplitStep, DelayStep, MatchField,
    PINTEREST_PARTNER, Step, StepId, StepKind, SyncAction,
};

/// A Canvas: a named journey whose users start at `entry_step_id` and follow the steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanvasDefinition {
    /// Shown in the dashboard; must not be blank.
    #[serde(default)]
    pub name: String,
    /// The step every user starts at.
    #[serde(default)]
    pub entry_step_id: StepId,
    /// Whether a user may enter the Canvas again.
    #[serde(default)]
    pub reentry: ReentryPolicy,
    /// The steps, in any order; they are linked by id.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// Whether a user who has been through a Canvas may enter it again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReentryPolicy {
    /// A user enters at most once.
    #[default]
    Never,
    /// A user may enter again once they have exited.
    AfterExit,
}

/// The Canvas JSON could not be read; says where and which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid canvas JSON at line {line}, column {column}, field `{field}`: {detail}")]
pub struct CanvasParseError {
    /// 1-based line of the error in the input (0 when not known). For an error inside a
    /// step, the position is where that step's object ends; `field` says where inside.
    pub line: usize,
    /// 1-based column of the error in the input (0 when not known).
    pub column: usize,
    /// The path of the field at fault, e.g. `steps[2].duration_seconds`, or `.` for the root.
    pub field: String,
    /// What is wrong, in serde's words.
    pub detail: String,
}

impl CanvasParseError {
    /// Built from serde's error and the path where it happened. A step's own errors start
    /// with `` `path`: `` (see `step_json`); that path is appended to `field`.
    fn from_serde(field: String, error: serde_json::Error) -> Self {
        let position = format!(" at line {} column {}", error.line(), error.column());
        let full = error.to_string();
        let message = full.strip_suffix(&position).unwrap_or(&full);
        let inner = message
            .strip_prefix('`')
            .and_then(|rest| rest.split_once("`: "));
        let (field, detail) = match inner {
            Some((inner_field, detail)) if field == "." => (inner_field.to_owned(), detail),
            Some((inner_field, detail)) => (format!("{field}.{inner_field}"), detail),
            None => (field, message),
        };
        CanvasParseError {
            line: error.line(),
            column: error.column(),
            field,
            detail: detail.to_owned(),
        }
    }
}

impl CanvasDefinition {
    /// Read a Canvas from its JSON form. This checks shape and types only; call `validate`
    /// for everything else.
    pub fn parse_json(json: &str) -> Result<Self, CanvasParseError> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let canvas = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let field = error.path().to_string();
            CanvasParseError::from_serde(field, error.into_inner())
        })?;
        deserializer
            .end()
            .map_err(|error| CanvasParseError::from_serde(".".to_owned(), error))?;
        Ok(canvas)
    }

    /// The step with this id (the first, if ids are duplicated).
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id.as_str() == id)
    }

    /// The entry step, if it exists.
    pub fn entry_step(&self) -> Option<&Step> {
        self.step(&self.entry_step_id)
    }

    /// The steps the step with this id can send users to (`next`, or `yes` then `no`).
    /// Ids that name no step are skipped; an unknown `id` gives nothing.
    pub fn next_steps(&self, id: &str) -> Vec<&Step> {
        let Some(step) = self.step(id) else {
            return Vec::new();
        };
        step.successor_ids()
            .into_iter()
            .filter_map(|next_id| self.step(next_id))
            .collect()
    }

    /// Every Audience Sync step with its settings, in the order they are listed.
    pub fn audience_sync_steps(&self) -> impl Iterator<Item = (&Step, &AudienceSyncStep)> {
        self.steps
            .iter()
            .filter_map(|step| step.as_audience_sync().map(|sync| (step, sync)))
    }

    /// The audience a step really writes to: its own `new` or `existing` audience, or,
    /// for `{"step": id}`, that step's. `None` when there is none or the reference is
    /// broken (unknown step, a chain of references).
    pub fn resolve_audience<'a>(&'a self, step: &'a AudienceSyncStep) -> Option<&'a AudienceRef> {
        match step.audience.as_ref()? {
            AudienceRef::Step { step: owner_id } => {
                let owner = self.step(owner_id)?.as_audience_sync()?;
                match owner.audience.as_ref()? {
                    AudienceRef::Step { .. } => None,
                    direct => Some(direct),
                }
            }
            direct => Some(direct),
        }
    }

    /// Every problem that stops this Canvas from launching, found without I/O.
    pub fn validate(&self) -> Vec<ValidationProblem> {
        validate::local_problems(self)
    }

    /// Every problem, adding those `checks` finds on each Audience Sync step that has no
    /// problem of its own (so that I/O code never sees an id that is not even well formed).
    pub fn validate_with(&self, checks: &dyn ExternalChecks) -> Vec<ValidationProblem> {
        let mut problems = self.validate();
        let external: Vec<ValidationProblem> = self
            .audience_sync_steps()
            .filter(|(step, _)| {
                !problems
                    .iter()
                    .any(|problem| problem.step_id.as_ref() == Some(&step.id))
            })
            .flat_map(|(step, sync)| checks.check_audience_sync(step, sync))
            .collect();
        problems.extend(external);
        problems
    }
}
