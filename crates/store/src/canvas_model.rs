//! The records of the Canvas engine's storage: Canvases and their lifecycle, entries, journeys
//! and their visits (the user trace), sync items handed to the pipeline, and step analytics.
//!
//! [`walk`] holds the pure rule that moves one user through steps; every backend applies it
//! inside the transaction that enters or wakes the user, so counters and state move together.

pub(crate) mod tally;
pub mod walk;

use std::collections::BTreeMap;
use std::fmt;

use pinsync_core::canvas::{CanvasDefinition, StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::reason::ReasonCode;
use serde::{Deserialize, Serialize};

use crate::model::{UserUpsert, WorkspaceId};

/// A Canvas's primary key; shown in URLs as its decimal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CanvasId(pub i64);

impl fmt::Display for CanvasId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a Canvas is in its life: `draft` → `active` → `stopped` → `archived`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanvasStatus {
    /// Being edited; nobody can enter.
    Draft,
    /// Launched: users enter and move through steps.
    Active,
    /// No more entries and no more step moves; users keep their state; pending syncs finish.
    Stopped,
    /// Hidden from lists; read-only.
    Archived,
}

impl CanvasStatus {
    /// The stable snake_case name, identical to the serde name and the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            CanvasStatus::Draft => "draft",
            CanvasStatus::Active => "active",
            CanvasStatus::Stopped => "stopped",
            CanvasStatus::Archived => "archived",
        }
    }

    /// The status with this stored name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Active, Self::Stopped, Self::Archived]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

impl fmt::Display for CanvasStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored Canvas. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanvasRecord {
    pub id: CanvasId,
    pub workspace_id: WorkspaceId,
    pub status: CanvasStatus,
    pub definition: CanvasDefinition,
    pub created_at: i64,
    pub updated_at: i64,
    pub launched_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub archived_at: Option<i64>,
}

/// The answer to a lifecycle change or an edit that the Canvas's current state may refuse.
#[derive(Debug, Clone, PartialEq)]
pub enum CanvasChange {
    /// Done; the Canvas as it is now.
    Done(CanvasRecord),
    /// Refused because the Canvas is in this status; nothing changed.
    WrongStatus(CanvasStatus),
    /// Refused because these steps hold users or have history; nothing changed.
    StepsInUse(Vec<StepId>),
}

/// One user to enter: the profile update applied first, then the entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntryCandidate {
    pub user: UserUpsert,
    /// The `canvas_entry_properties` JSON object, kept on the journey as text.
    pub entry_properties: Option<String>,
}

/// What one call entering users did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EntryReport {
    /// Users who entered the Canvas.
    pub entered: u64,
    /// Users not entered because the re-entry policy forbids it.
    pub already_in_canvas: u64,
    /// Profiles created by the upsert that precedes the entry.
    pub users_created: u64,
    /// Profiles updated by it.
    pub users_updated: u64,
}

/// The answer to entering users: refused as a whole when the Canvas is not active.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryResult {
    Entered(EntryReport),
    WrongStatus(CanvasStatus),
}

/// A sync item's primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SyncItemId(pub i64);

/// A user recorded by an audience-sync step for the pipeline to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncItem {
    pub id: SyncItemId,
    pub workspace_id: WorkspaceId,
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    pub journey_id: i64,
    pub external_id: String,
    pub action: SyncAction,
    /// The usable hashed identifiers among the step's match fields, in match-field order.
    pub identifiers: Vec<(IdentifierKind, String)>,
    pub entered_at: i64,
    pub available_at: i64,
    pub attempts: u32,
}

/// What the pipeline learned about one sync item.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncOutcome {
    /// Pinterest accepted the user's identifiers.
    Synced { detail: SyncDetail },
    /// Pinterest could not be written to after the retry window.
    Errored {
        reason: ReasonCode,
        detail: SyncDetail,
    },
    /// The user was not sent after all (e.g. consent revoked before the send).
    NotSynced {
        reason: ReasonCode,
        detail: SyncDetail,
    },
}

/// The evidence kept in the user's trace: Pinterest request ids of the attempts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncDetail {
    pub request_ids: Vec<String>,
}

/// What `complete_sync_items` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompletionReport {
    /// Items finished now.
    pub completed: u64,
    /// Ids that named no pending item (already completed, or never existed); ignored.
    pub unknown: u64,
}

/// Counts of one step, exact. `not_synced` and `errored` are broken down by reason code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StepCounts {
    pub entered: u64,
    pub proceeded: u64,
    /// Users in the step now (waiting in a delay); `entered = proceeded + in_step`.
    pub in_step: u64,
    pub synced: u64,
    pub not_synced: BTreeMap<String, u64>,
    /// Users recorded for the pipeline and not finished yet.
    pub pending: u64,
    pub errored: BTreeMap<String, u64>,
    pub exited: u64,
}

impl StepCounts {
    /// Not synced, all reasons together.
    pub fn not_synced_total(&self) -> u64 {
        self.not_synced.values().sum()
    }

    /// Errored, all reasons together.
    pub fn errored_total(&self) -> u64 {
        self.errored.values().sum()
    }
}

/// The analytics of a Canvas over some days, or over all time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CanvasCounts {
    pub entered: u64,
    pub exited: u64,
    pub steps: BTreeMap<StepId, StepCounts>,
}

/// The analytics of one UTC day (`day` counts days since 1970-01-01).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DailyCounts {
    pub day: i64,
    pub counts: CanvasCounts,
}

/// One step a journey went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitRecord {
    pub step_id: StepId,
    pub entered_at: i64,
    pub left_at: Option<i64>,
    /// The user left the Canvas at this step (its branch ended).
    pub exited: bool,
    /// For audience-sync steps: `pending`, `synced`, `not_synced` or `errored`.
    pub outcome: Option<String>,
    pub reason: Option<String>,
    pub attempts: u32,
    pub request_ids: Vec<String>,
}

/// One entry of a user into a Canvas, with its visits in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JourneyTrace {
    pub journey_id: i64,
    pub entered_at: i64,
    pub exited_at: Option<i64>,
    /// The delay step the user waits in, and until when.
    pub waiting_in: Option<StepId>,
    pub wake_at: Option<i64>,
    pub visits: Vec<VisitRecord>,
}

/// What one pass of the timer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimerReport {
    /// Journeys whose delay ended and that moved on.
    pub advanced: u64,
}

/// The UTC day (days since 1970-01-01) of a millisecond timestamp.
pub fn day_of(millis: i64) -> i64 {
    millis.div_euclid(86_400_000)
}
