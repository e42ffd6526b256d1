//! Journeys in SQLite: entering users (profile upsert, re-entry policy, the walk) and the
//! delay timer that moves on users whose wait is over. The walk's visits, sync items and
//! counter deltas are written in the transaction of the move that caused them.

use std::collections::HashMap;

use pinsync_core::canvas::{ReentryPolicy, StepId};
use pinsync_core::metrics::StepMetric;
use rusqlite::{CachedStatement, Connection, OptionalExtension, Statement, Transaction, params};
use serde_json::{Map, Value};

use super::counters::CounterDeltas;
use super::crud;
use crate::canvas_model::walk::{VisitKind, Walk, WalkUser, walk_from};
use crate::canvas_model::{
    CanvasId, CanvasRecord, CanvasStatus, EntryCandidate, EntryReport, EntryResult, TimerReport,
};
use crate::error::StoreError;
use crate::model::{StoredIdentifier, UserProfile, UserUpsert, WorkspaceId};
use crate::profile_merge::{ProfileFields, apply_fields};

const SELECT_PROFILE: &str = "SELECT email_sha256, email_status, gaid_sha256, gaid_status,
        idfa_sha256, idfa_status, ad_tracking_enabled, attributes, created_at, updated_at
    FROM users WHERE workspace_id = ?1 AND external_id = ?2";

/// A profile as the walk needs it, with attributes decoded.
struct Profile {
    email: StoredIdentifier,
    gaid: StoredIdentifier,
    idfa: StoredIdentifier,
    ad_tracking_enabled: bool,
    attributes: Map<String, Value>,
}

impl Profile {
    fn blank() -> Self {
        Profile {
            email: StoredIdentifier::missing(),
            gaid: StoredIdentifier::missing(),
            idfa: StoredIdentifier::missing(),
            ad_tracking_enabled: true,
            attributes: Map::new(),
        }
    }

    fn walk_user(&self) -> WalkUser<'_> {
        WalkUser {
            email: &self.email,
            gaid: &self.gaid,
            idfa: &self.idfa,
            ad_tracking_enabled: self.ad_tracking_enabled,
            attributes: &self.attributes,
        }
    }
}

fn decode_attributes(text: &str) -> Result<Map<String, Value>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("user attributes: {e}")))
}

fn load_profile(
    select_profile: &mut Statement<'_>,
    workspace: i64,
    external_id: &str,
) -> Result<Option<(Profile, String)>, StoreError> {
    let row = select_profile
        .query_row(params![workspace, external_id], |row| {
            let identifier = |hash: usize| -> rusqlite::Result<StoredIdentifier> {
                Ok(StoredIdentifier {
                    sha256: row.get(hash)?,
                    status: row.get(hash + 1)?,
                })
            };
            Ok((
                identifier(0)?,
                identifier(2)?,
                identifier(4)?,
                row.get::<_, bool>(6)?,
                row.get::<_, String>(7)?,
            ))
        })
        .optional()?;
    let Some((email, gaid, idfa, ad_tracking_enabled, attributes)) = row else {
        return Ok(None);
    };
    let profile = Profile {
        email,
        gaid,
        idfa,
        ad_tracking_enabled,
        attributes: decode_attributes(&attributes)?,
    };
    Ok(Some((profile, attributes)))
}

/// The statements entering a user runs, prepared once per transaction rather than looked up
/// in the statement cache for every user.
struct EntryStatements<'tx> {
    select_profile: CachedStatement<'tx>,
    upsert_user: CachedStatement<'tx>,
    last_journey: CachedStatement<'tx>,
    insert_journey: CachedStatement<'tx>,
    walk: WalkStatements<'tx>,
}

impl<'tx> EntryStatements<'tx> {
    fn prepare(tx: &'tx Transaction<'_>) -> Result<Self, StoreError> {
        Ok(Self {
            select_profile: tx.prepare_cached(SELECT_PROFILE)?,
            upsert_user: tx.prepare_cached(
                "INSERT INTO users (workspace_id, external_id, email_sha256, email_status,
                     gaid_sha256, gaid_status, idfa_sha256, idfa_status, ad_tracking_enabled,
                     attributes, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
                 ON CONFLICT (workspace_id, external_id) DO UPDATE SET
                     email_sha256 = excluded.email_sha256, email_status = excluded.email_status,
                     gaid_sha256 = excluded.gaid_sha256, gaid_status = excluded.gaid_status,
                     idfa_sha256 = excluded.idfa_sha256, idfa_status = excluded.idfa_status,
                     ad_tracking_enabled = excluded.ad_tracking_enabled,
                     attributes = excluded.attributes, updated_at = excluded.updated_at",
            )?,
            last_journey: tx.prepare_cached(
                "SELECT exited_at FROM journeys WHERE canvas_id = ?1 AND external_id = ?2
                 ORDER BY id DESC LIMIT 1",
            )?,
            insert_journey: tx.prepare_cached(
                "INSERT INTO journeys (workspace_id, canvas_id, external_id, current_step,
                     wake_at, visits, entry_properties, entered_at, exited_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            walk: WalkStatements::prepare(tx)?,
        })
    }
}

/// Applies the upsert the way `users/track` does and returns the merged profile and whether
/// it was created.
fn upsert_profile(
    statements: &mut EntryStatements<'_>,
    workspace: WorkspaceId,
    update: &UserUpsert,
    now: i64,
) -> Result<(Profile, bool), StoreError> {
    let existing = load_profile(
        &mut statements.select_profile,
        workspace.0,
        &update.external_id,
    )?;
    let created = existing.is_none();
    let (mut profile, mut attributes_text) =
        existing.unwrap_or_else(|| (Profile::blank(), "{}".to_owned()));
    let fields = ProfileFields {
        email: &mut profile.email,
        gaid: &mut profile.gaid,
        idfa: &mut profile.idfa,
        ad_tracking_enabled: &mut profile.ad_tracking_enabled,
        attributes: &mut profile.attributes,
    };
    if apply_fields(fields, update) {
        attributes_text = serde_json::to_string(&profile.attributes)
            .map_err(|e| StoreError::Database(format!("cannot encode user attributes: {e}")))?;
    }
    statements.upsert_user.execute(params![
        workspace.0,
        update.external_id,
        profile.email.sha256,
        profile.email.status,
        profile.gaid.sha256,
        profile.gaid.status,
        profile.idfa.sha256,
        profile.idfa.status,
        profile.ad_tracking_enabled,
        attributes_text,
        now,
    ])?;
    Ok((profile, created))
}

/// Whether the re-entry policy lets the user enter now.
fn may_enter(
    last_journey: &mut Statement<'_>,
    canvas: CanvasId,
    external_id: &str,
    policy: ReentryPolicy,
) -> Result<bool, StoreError> {
    let last: Option<Option<i64>> = last_journey
        .query_row(params![canvas.0, external_id], |row| row.get(0))
        .optional()?;
    Ok(matches!(
        (last, policy),
        (None, _) | (Some(Some(_)), ReentryPolicy::AfterExit)
    ))
}

/// The statements a walk runs.
pub(super) struct WalkStatements<'tx> {
    insert_visit: CachedStatement<'tx>,
    insert_item: CachedStatement<'tx>,
}

impl<'tx> WalkStatements<'tx> {
    pub(super) fn prepare(tx: &'tx Transaction<'_>) -> Result<Self, StoreError> {
        Ok(Self {
            insert_visit: tx.prepare_cached(
                "INSERT INTO journey_visits (journey_id, seq, canvas_id, step_id, entered_at,
                     left_at, exited, outcome, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            insert_item: tx.prepare_cached(
                "INSERT INTO sync_items (workspace_id, canvas_id, step_id, journey_id, visit_seq,
                     external_id, action, email_sha256, gaid_sha256, idfa_sha256, entered_at,
                     available_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            )?,
        })
    }
}

/// The journey a walk is applied to.
pub(super) struct JourneyRef<'a> {
    pub id: i64,
    pub workspace: i64,
    pub canvas: CanvasId,
    pub external_id: &'a str,
    /// The `seq` of the walk's first visit.
    pub first_seq: i64,
}

/// Writes the walk's visits and sync items and counts them.
pub(super) fn apply_walk(
    statements: &mut WalkStatements<'_>,
    journey: &JourneyRef<'_>,
    walk: &Walk,
    now: i64,
    deltas: &mut CounterDeltas,
) -> Result<(), StoreError> {
    let WalkStatements {
        insert_visit,
        insert_item,
    } = statements;
    let canvas = journey.canvas;
    for (offset, visit) in walk.visits.iter().enumerate() {
        let seq = journey.first_seq + offset as i64;
        let step = visit.step_id.as_str();
        let (outcome, reason) = match &visit.kind {
            VisitKind::Plain => (None, None),
            VisitKind::SyncQueued { .. } => (Some("pending"), None),
            VisitKind::NotSynced(reason) => (Some("not_synced"), Some(reason.as_str())),
        };
        insert_visit.execute(params![
            journey.id,
            seq,
            canvas.0,
            step,
            now,
            visit.left.then_some(now),
            visit.exited,
            outcome,
            reason,
        ])?;
        deltas.add(canvas, step, StepMetric::Entered, "", now, 1);
        if visit.left {
            deltas.add(canvas, step, StepMetric::Proceeded, "", now, 1);
        }
        if visit.exited {
            deltas.add(canvas, step, StepMetric::Exited, "", now, 1);
            deltas.canvas(canvas, StepMetric::Exited, now);
        }
        match &visit.kind {
            VisitKind::Plain => {}
            VisitKind::NotSynced(reason) => {
                deltas.add(canvas, step, StepMetric::NotSynced, reason.as_str(), now, 1);
            }
            VisitKind::SyncQueued {
                action,
                identifiers,
            } => {
                let hash_of = |kind| {
                    identifiers
                        .iter()
                        .find(|(k, _)| *k == kind)
                        .map(|(_, hash)| hash.as_str())
                };
                use pinsync_core::identifier::IdentifierKind as Kind;
                insert_item.execute(params![
                    journey.workspace,
                    canvas.0,
                    step,
                    journey.id,
                    seq,
                    journey.external_id,
                    action.as_str(),
                    hash_of(Kind::Email),
                    hash_of(Kind::Gaid),
                    hash_of(Kind::Idfa),
                    now,
                ])?;
                deltas.add(canvas, step, StepMetric::Pending, "", now, 1);
            }
        }
    }
    Ok(())
}

/// Where a walk leaves the journey row: waiting in a delay, or exited.
fn journey_state(walk: &Walk, now: i64) -> (Option<&str>, Option<i64>, Option<i64>) {
    match &walk.waiting {
        Some((step, millis)) => (Some(step.as_str()), Some(now.saturating_add(*millis)), None),
        None => (None, None, Some(now)),
    }
}

pub(super) fn enter(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    canvas: CanvasId,
    candidates: Vec<EntryCandidate>,
    now: i64,
) -> Result<EntryResult, StoreError> {
    let record = crud::fetch(tx, Some(workspace), canvas)?
        .ok_or_else(|| StoreError::NotFound(format!("canvas {canvas}")))?;
    if record.status != CanvasStatus::Active {
        return Ok(EntryResult::WrongStatus(record.status));
    }
    let definition = &record.definition;
    let mut report = EntryReport::default();
    let mut deltas = CounterDeltas::default();
    let mut statements = EntryStatements::prepare(tx)?;
    for candidate in candidates {
        let (profile, created) = upsert_profile(&mut statements, workspace, &candidate.user, now)?;
        if created {
            report.users_created += 1;
        } else {
            report.users_updated += 1;
        }
        let external_id = candidate.user.external_id.as_str();
        // Users are never deleted and a journey is only written after its user, so a user
        // created just now has no journey in any Canvas: only existing users are looked up.
        if !created
            && !may_enter(
                &mut statements.last_journey,
                canvas,
                external_id,
                definition.reentry,
            )?
        {
            report.already_in_canvas += 1;
            continue;
        }
        let walk = walk_from(
            definition,
            Some(&definition.entry_step_id),
            profile.walk_user(),
        );
        let (current_step, wake_at, exited_at) = journey_state(&walk, now);
        statements.insert_journey.execute(params![
            workspace.0,
            canvas.0,
            external_id,
            current_step,
            wake_at,
            walk.visits.len() as i64,
            candidate.entry_properties,
            now,
            exited_at,
        ])?;
        let journey = JourneyRef {
            id: tx.last_insert_rowid(),
            workspace: workspace.0,
            canvas,
            external_id,
            first_seq: 0,
        };
        apply_walk(&mut statements.walk, &journey, &walk, now, &mut deltas)?;
        deltas.canvas(canvas, StepMetric::Entered, now);
        report.entered += 1;
    }
    drop(statements);
    deltas.apply(tx)?;
    Ok(EntryResult::Entered(report))
}

struct DueJourney {
    id: i64,
    workspace: i64,
    canvas: CanvasId,
    external_id: String,
    step: String,
    visits: i64,
}

pub(super) fn advance_due(
    tx: &Transaction<'_>,
    now: i64,
    limit: u32,
) -> Result<TimerReport, StoreError> {
    let due: Vec<DueJourney> = tx
        .prepare_cached(
            "SELECT j.id, j.workspace_id, j.canvas_id, j.external_id, j.current_step, j.visits
             FROM journeys j JOIN canvases c ON c.id = j.canvas_id
             WHERE j.wake_at IS NOT NULL AND j.wake_at <= ?1 AND c.status = 'active'
             ORDER BY j.wake_at, j.id LIMIT ?2",
        )?
        .query_map(params![now, limit], |row| {
            Ok(DueJourney {
                id: row.get(0)?,
                workspace: row.get(1)?,
                canvas: CanvasId(row.get(2)?),
                external_id: row.get(3)?,
                step: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                visits: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut canvases: HashMap<CanvasId, CanvasRecord> = HashMap::new();
    let mut deltas = CounterDeltas::default();
    let mut report = TimerReport::default();
    let mut select_profile = tx.prepare_cached(SELECT_PROFILE)?;
    let mut walk_statements = WalkStatements::prepare(tx)?;
    for journey in due {
        let record = match canvases.entry(journey.canvas) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let record = crud::fetch(tx, None, journey.canvas)?
                    .ok_or_else(|| StoreError::NotFound(format!("canvas {}", journey.canvas)))?;
                entry.insert(record)
            }
        };
        let definition = &record.definition;
        let profile = load_profile(&mut select_profile, journey.workspace, &journey.external_id)?
            .map(|(profile, _)| profile)
            .unwrap_or_else(Profile::blank);
        let next: Option<StepId> = definition
            .step(&journey.step)
            .and_then(|step| step.next_for(&profile.attributes).cloned());
        let walk = walk_from(definition, next.as_ref(), profile.walk_user());
        let ends_here = walk.visits.is_empty();
        tx.prepare_cached(
            "UPDATE journey_visits SET left_at = ?3, exited = ?4 WHERE journey_id = ?1 AND seq = ?2",
        )?
        .execute(params![journey.id, journey.visits - 1, now, ends_here])?;
        deltas.add(
            journey.canvas,
            &journey.step,
            StepMetric::Proceeded,
            "",
            now,
            1,
        );
        if ends_here {
            deltas.add(
                journey.canvas,
                &journey.step,
                StepMetric::Exited,
                "",
                now,
                1,
            );
            deltas.canvas(journey.canvas, StepMetric::Exited, now);
        }
        let target = JourneyRef {
            id: journey.id,
            workspace: journey.workspace,
            canvas: journey.canvas,
            external_id: &journey.external_id,
            first_seq: journey.visits,
        };
        apply_walk(&mut walk_statements, &target, &walk, now, &mut deltas)?;
        let (current_step, wake_at, exited_at) = journey_state(&walk, now);
        tx.prepare_cached(
            "UPDATE journeys SET current_step = ?2, wake_at = ?3, exited_at = ?4,
                 visits = visits + ?5 WHERE id = ?1",
        )?
        .execute(params![
            journey.id,
            current_step,
            wake_at,
            exited_at,
            walk.visits.len() as i64
        ])?;
        report.advanced += 1;
    }
    drop((select_profile, walk_statements));
    deltas.apply(tx)?;
    Ok(report)
}

pub(super) fn next_wake_at(conn: &Connection) -> Result<Option<i64>, StoreError> {
    let next = conn.query_row(
        "SELECT MIN(j.wake_at) FROM journeys j JOIN canvases c ON c.id = j.canvas_id
         WHERE j.wake_at IS NOT NULL AND c.status = 'active'",
        [],
        |row| row.get(0),
    )?;
    Ok(next)
}

pub(super) fn users_page(
    conn: &Connection,
    workspace: WorkspaceId,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<UserProfile>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT external_id, email_sha256, email_status, gaid_sha256, gaid_status,
             idfa_sha256, idfa_status, ad_tracking_enabled, attributes, created_at, updated_at
         FROM users WHERE workspace_id = ?1 AND external_id > ?2
         ORDER BY external_id LIMIT ?3",
    )?;
    let rows = statement
        .query_map(params![workspace.0, after.unwrap_or(""), limit], |row| {
            let identifier = |hash: usize| -> rusqlite::Result<StoredIdentifier> {
                Ok(StoredIdentifier {
                    sha256: row.get(hash)?,
                    status: row.get(hash + 1)?,
                })
            };
            Ok((
                UserProfile {
                    workspace_id: workspace,
                    external_id: row.get(0)?,
                    email: identifier(1)?,
                    gaid: identifier(3)?,
                    idfa: identifier(5)?,
                    ad_tracking_enabled: row.get(7)?,
                    attributes: Map::new(),
                    created_at: row.get(9)?,
                    updated_at: row.get(10)?,
                },
                row.get::<_, String>(8)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(mut profile, attributes)| {
            profile.attributes = decode_attributes(&attributes)?;
            Ok(profile)
        })
        .collect()
}
