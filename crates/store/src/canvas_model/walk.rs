//! The journey rule, pure: from a step, move one user through audience-sync steps and decision
//! splits until they reach a delay (and wait) or the end of a branch (and exit).
//!
//! Backends apply a [`Walk`] inside the transaction that caused it; the dry run applies it to
//! nothing and only counts.

use pinsync_core::canvas::{CanvasDefinition, StepId, StepKind, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::reason::ReasonCode;
use serde_json::{Map, Value};

use crate::model::StoredIdentifier;

/// What the walk needs to know about a user: identifiers as stored, consent, attributes.
#[derive(Debug, Clone, Copy)]
pub struct WalkUser<'a> {
    pub email: &'a StoredIdentifier,
    pub gaid: &'a StoredIdentifier,
    pub idfa: &'a StoredIdentifier,
    pub ad_tracking_enabled: bool,
    pub attributes: &'a Map<String, Value>,
}

impl WalkUser<'_> {
    fn identifier(&self, kind: IdentifierKind) -> &StoredIdentifier {
        match kind {
            IdentifierKind::Email => self.email,
            IdentifierKind::Gaid => self.gaid,
            IdentifierKind::Idfa => self.idfa,
        }
    }
}

/// What happened to the user in one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitKind {
    /// A delay or a decision split.
    Plain,
    /// An audience-sync step recorded the user for the pipeline with these identifiers.
    SyncQueued {
        action: SyncAction,
        identifiers: Vec<(IdentifierKind, String)>,
    },
    /// An audience-sync step could not sync the user.
    NotSynced(ReasonCode),
}

/// One step the user went through during the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub step_id: StepId,
    pub kind: VisitKind,
    /// The user left the step (false only for the delay the walk stops in).
    pub left: bool,
    /// The step ended its branch: the user left the Canvas here.
    pub exited: bool,
}

/// Where the user ends up after a walk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Walk {
    pub visits: Vec<Visit>,
    /// The delay step the user now waits in, and for how many milliseconds.
    pub waiting: Option<(StepId, i64)>,
}

impl Walk {
    /// The user left the Canvas during this walk.
    pub fn exited(&self) -> bool {
        self.visits.last().is_some_and(|visit| visit.exited)
    }
}

/// Moves the user from `start` (`None`: the branch already ended) through the Canvas.
///
/// A link to a step that does not exist ends the branch, as a launched Canvas never has one.
/// The number of visits is bounded by the number of steps, so a cycle cannot loop forever.
pub fn walk_from(
    definition: &CanvasDefinition,
    start: Option<&StepId>,
    user: WalkUser<'_>,
) -> Walk {
    let mut walk = Walk::default();
    let mut current = start.cloned();
    while let Some(step_id) = current.take() {
        let Some(step) = definition.step(&step_id) else {
            break;
        };
        if walk.visits.len() > definition.steps.len() {
            break;
        }
        match &step.kind {
            StepKind::Delay(delay) => {
                let millis = i64::try_from(delay.duration_seconds)
                    .unwrap_or(i64::MAX / 1000)
                    .saturating_mul(1000);
                walk.visits.push(Visit {
                    step_id: step_id.clone(),
                    kind: VisitKind::Plain,
                    left: false,
                    exited: false,
                });
                walk.waiting = Some((step_id, millis));
                return walk;
            }
            StepKind::AudienceSync(sync) => {
                let kind = evaluate_sync(sync.action, &sync.match_fields, user);
                walk.visits.push(Visit {
                    step_id,
                    kind,
                    left: true,
                    exited: false,
                });
            }
            StepKind::DecisionSplit(_) => {
                walk.visits.push(Visit {
                    step_id,
                    kind: VisitKind::Plain,
                    left: true,
                    exited: false,
                });
            }
        }
        current = step.next_for(user.attributes).cloned();
    }
    if let Some(last) = walk.visits.last_mut() {
        last.exited = true;
    }
    walk
}

/// Whether an audience-sync step can record this user, and with which identifiers.
///
/// Ad tracking disabled → `ad_tracking_disabled`. No usable match field → the reason all of
/// them share (e.g. `missing`), or `no_match_fields` when their reasons differ.
pub fn evaluate_sync(
    action: SyncAction,
    match_fields: &[IdentifierKind],
    user: WalkUser<'_>,
) -> VisitKind {
    if !user.ad_tracking_enabled {
        return VisitKind::NotSynced(ReasonCode::AdTrackingDisabled);
    }
    let mut identifiers = Vec::new();
    let mut reasons = Vec::new();
    for &kind in match_fields {
        let stored = user.identifier(kind);
        match &stored.sha256 {
            Some(hash) if stored.status == "valid" => identifiers.push((kind, hash.clone())),
            _ => reasons.push(ReasonCode::parse(&stored.status).unwrap_or(ReasonCode::Missing)),
        }
    }
    if !identifiers.is_empty() {
        return VisitKind::SyncQueued {
            action,
            identifiers,
        };
    }
    let shared = reasons
        .first()
        .copied()
        .filter(|first| reasons.iter().all(|r| r == first));
    VisitKind::NotSynced(shared.unwrap_or(ReasonCode::NoMatchFields))
}
