//! The steps of a Canvas: their ids, kinds and settings, exactly as they appear in JSON.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use super::condition::Condition;
use crate::identifier::IdentifierKind;

/// The only partner pinsync syncs to.
pub const PINTEREST_PARTNER: &str = "pinterest";

/// The id of a step, unique within its Canvas; other steps point at it by this id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StepId(pub String);

impl StepId {
    /// Wrap an id.
    pub fn new(id: impl Into<String>) -> Self {
        StepId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for StepId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for StepId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for StepId {
    fn from(id: &str) -> Self {
        StepId(id.to_owned())
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One step of a Canvas. In JSON the kind's fields sit beside `id` and `name`, and `type`
/// says which kind it is. Deserialization is hand-written (in `step_json`) so that errors
/// name the field at fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Unique within the Canvas: `[A-Za-z0-9_-]`, at most 64 characters.
    pub id: StepId,
    /// Shown in the dashboard; must not be blank.
    pub name: String,
    /// What the step does.
    #[serde(flatten)]
    pub kind: StepKind,
}

/// What a step does, tagged by `type` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepKind {
    /// Add users to, or remove them from, a Pinterest audience; users move on at once.
    AudienceSync(AudienceSyncStep),
    /// Hold users for a fixed time.
    Delay(DelayStep),
    /// Send users down `yes` or `no` depending on one of their attributes.
    DecisionSplit(DecisionSplitStep),
}

/// Settings of an Audience Sync step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceSyncStep {
    /// The partner to sync to; only `pinterest` is supported. Kept as text so that another
    /// value is a validation problem rather than a parse error.
    #[serde(default)]
    pub partner: String,
    /// The Pinterest ad account, a string of digits.
    #[serde(default)]
    pub ad_account_id: String,
    /// Which audience to write to; absent until the user chooses one.
    #[serde(default)]
    pub audience: Option<AudienceRef>,
    /// Whether users are added to or removed from the audience.
    pub action: SyncAction,
    /// The identifiers sent for each user, in order of preference; none repeated.
    #[serde(default)]
    pub match_fields: Vec<MatchField>,
    /// The step users move on to; `None` ends the branch and users exit the Canvas.
    #[serde(default)]
    pub next: Option<StepId>,
}

/// Settings of a Delay step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayStep {
    /// How long users wait here, in seconds: at least 1, at most 365 days.
    pub duration_seconds: u64,
    /// The step users move on to; `None` ends the branch.
    #[serde(default)]
    pub next: Option<StepId>,
}

/// Settings of a Decision Split step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionSplitStep {
    /// The test applied to each user's attributes.
    pub condition: Condition,
    /// Where users go when the condition holds; `None` makes them exit.
    #[serde(default)]
    pub yes: Option<StepId>,
    /// Where users go when it does not; `None` makes them exit.
    #[serde(default)]
    pub no: Option<StepId>,
}

/// Whether an Audience Sync step adds users to its audience or removes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncAction {
    /// Add users to the audience.
    Add,
    /// Remove users from the audience.
    Remove,
}

impl SyncAction {
    /// The stable snake_case name, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncAction::Add => "add",
            SyncAction::Remove => "remove",
        }
    }
}

/// A field matched against Pinterest users.
pub type MatchField = IdentifierKind;

/// The audience an Audience Sync step writes to.
///
/// JSON: `{"new": {"name": "…", "created": {…}}}`, `{"existing": {"audience_id": "…"}}` or
/// `{"step": "step_id"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    from = "super::step_json::AudienceRefJson",
    into = "super::step_json::AudienceRefJson"
)]
pub enum AudienceRef {
    /// An audience pinsync creates on Pinterest under this name. `created` is filled in
    /// once Pinterest has created it.
    New {
        /// The audience name shown on Pinterest.
        name: String,
        /// The ids Pinterest gave the audience, once it exists.
        created: Option<CreatedAudience>,
    },
    /// An audience that already exists on Pinterest.
    Existing {
        /// Pinterest's audience id, a string of digits.
        audience_id: String,
    },
    /// The audience of another Audience Sync step of the same Canvas (typically a later
    /// step removing the users an earlier step added).
    Step {
        /// The step whose audience is used; it must have a `new` or `existing` audience.
        step: StepId,
    },
}

impl AudienceRef {
    /// The Pinterest audience id, when known: the existing id or the created one.
    pub fn audience_id(&self) -> Option<&str> {
        match self {
            AudienceRef::New { created, .. } => {
                created.as_ref().map(|created| created.audience_id.as_str())
            }
            AudienceRef::Existing { audience_id } => Some(audience_id),
            AudienceRef::Step { .. } => None,
        }
    }
}

/// The ids Pinterest assigned when pinsync created a new audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatedAudience {
    /// Pinterest's audience id.
    pub audience_id: String,
    /// The customer list that feeds the audience.
    pub customer_list_id: String,
}

impl Step {
    /// The ids this step can send users to (`next`, or `yes` then `no`), skipping exits.
    pub fn successor_ids(&self) -> Vec<&StepId> {
        match &self.kind {
            StepKind::AudienceSync(sync) => sync.next.iter().collect(),
            StepKind::Delay(delay) => delay.next.iter().collect(),
            StepKind::DecisionSplit(split) => split.yes.iter().chain(split.no.iter()).collect(),
        }
    }

    /// Where a user with these attributes goes after this step; `None` means they exit.
    pub fn next_for(
        &self,
        attributes: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<&StepId> {
        match &self.kind {
            StepKind::AudienceSync(sync) => sync.next.as_ref(),
            StepKind::Delay(delay) => delay.next.as_ref(),
            StepKind::DecisionSplit(split) if split.condition.evaluate(attributes) => {
                split.yes.as_ref()
            }
            StepKind::DecisionSplit(split) => split.no.as_ref(),
        }
    }

    /// The Audience Sync settings, when this is an Audience Sync step.
    pub fn as_audience_sync(&self) -> Option<&AudienceSyncStep> {
        match &self.kind {
            StepKind::AudienceSync(sync) => Some(sync),
            _ => None,
        }
    }

    /// The step's `type` as written in JSON.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            StepKind::AudienceSync(_) => "audience_sync",
            StepKind::Delay(_) => "delay",
            StepKind::DecisionSplit(_) => "decision_split",
        }
    }
}
