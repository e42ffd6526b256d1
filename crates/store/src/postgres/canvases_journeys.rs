//! Journeys on PostgreSQL: entering users (profile upsert, re-entry policy, the walk) and the
//! delay timer that moves on users whose wait is over. A call is one transaction of a few
//! statements whatever the number of users: profiles, journeys, visits, sync items and
//! counters are each written by one batched statement.
//!
//! Several instances may run both at once:
//! - entry holds a share lock on the Canvas (a status change waits for it) and, through the
//!   profile upsert, a row lock on each user entered, so two entries of one user serialize and
//!   the second sees the first's journey when it applies the re-entry policy;
//! - the timer claims due journeys with `FOR UPDATE SKIP LOCKED`, so a journey is advanced by
//!   exactly one instance: a concurrent pass skips it, and a later one no longer finds it due.

use std::collections::HashMap;

use pinsync_core::canvas::{CanvasDefinition, ReentryPolicy, StepId};
use pinsync_core::metrics::StepMetric;
use sqlx::{PgConnection, Row};

use super::counters::CounterDeltas;
use super::crud::{self, Lock};
use super::walks::{JourneyRef, WalkRows};
use crate::canvas_model::walk::{Walk, WalkUser, walk_from};
use crate::canvas_model::{
    CanvasId, CanvasRecord, CanvasStatus, EntryCandidate, EntryReport, EntryResult, TimerReport,
};
use crate::error::StoreError;
use crate::model::{StoredIdentifier, UserProfile, UserUpsert, WorkspaceId};
use crate::postgres::users;

fn walk_user(profile: &UserProfile) -> WalkUser<'_> {
    WalkUser {
        email: &profile.email,
        gaid: &profile.gaid,
        idfa: &profile.idfa,
        ad_tracking_enabled: profile.ad_tracking_enabled,
        attributes: &profile.attributes,
    }
}

/// Where a walk leaves the journey row: waiting in a delay, or exited.
fn journey_state(walk: &Walk, now: i64) -> (Option<String>, Option<i64>, Option<i64>) {
    match &walk.waiting {
        Some((step, millis)) => (
            Some(step.as_str().to_owned()),
            Some(now.saturating_add(*millis)),
            None,
        ),
        None => (None, None, Some(now)),
    }
}

/// Takes `count` journey ids from the journeys' sequence, in increasing order.
async fn allocate_journey_ids(
    conn: &mut PgConnection,
    count: usize,
) -> Result<Vec<i64>, StoreError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> =
        sqlx::query_scalar("SELECT nextval('journeys_id_seq') FROM generate_series(1, $1)")
            .bind(count as i64)
            .fetch_all(&mut *conn)
            .await?;
    ids.sort_unstable();
    Ok(ids)
}

/// Whether each of these users' last journey in the Canvas has exited, for users with one.
async fn last_journeys(
    conn: &mut PgConnection,
    canvas: CanvasId,
    external_ids: &[&str],
) -> Result<HashMap<String, bool>, StoreError> {
    if external_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query(
        "SELECT DISTINCT ON (external_id) external_id, exited_at IS NOT NULL AS exited
         FROM journeys WHERE canvas_id = $1 AND external_id = ANY($2::text[])
         ORDER BY external_id, id DESC",
    )
    .bind(canvas.0)
    .bind(external_ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut last = HashMap::with_capacity(rows.len());
    for row in rows {
        last.insert(row.try_get("external_id")?, row.try_get("exited")?);
    }
    Ok(last)
}

/// Whether the re-entry policy lets a user in, given whether their last journey exited.
fn may_enter(last_exited: Option<bool>, policy: ReentryPolicy) -> bool {
    matches!(
        (last_exited, policy),
        (None, _) | (Some(true), ReentryPolicy::AfterExit)
    )
}

/// New journey rows, as columns.
#[derive(Default)]
struct JourneyColumns {
    id: Vec<i64>,
    external_id: Vec<String>,
    current_step: Vec<Option<String>>,
    wake_at: Vec<Option<i64>>,
    visits: Vec<i64>,
    entry_properties: Vec<Option<String>>,
    exited_at: Vec<Option<i64>>,
}

impl JourneyColumns {
    async fn insert(
        self,
        conn: &mut PgConnection,
        workspace: WorkspaceId,
        canvas: CanvasId,
        now: i64,
    ) -> Result<(), StoreError> {
        if self.id.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO journeys (id, workspace_id, canvas_id, external_id, current_step,
                 wake_at, visits, entry_properties, entered_at, exited_at)
             SELECT j.id, $8, $9, j.external_id, j.current_step, j.wake_at, j.visits,
                 j.entry_properties, $10, j.exited_at
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                         $6::text[], $7::bigint[])
                 AS j(id, external_id, current_step, wake_at, visits, entry_properties,
                      exited_at)",
        )
        .bind(self.id)
        .bind(self.external_id)
        .bind(self.current_step)
        .bind(self.wake_at)
        .bind(self.visits)
        .bind(self.entry_properties)
        .bind(self.exited_at)
        .bind(workspace.0)
        .bind(canvas.0)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

pub(super) async fn enter(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    canvas: CanvasId,
    candidates: Vec<EntryCandidate>,
    now: i64,
) -> Result<EntryResult, StoreError> {
    let record = crud::fetch(conn, Some(workspace), canvas, Lock::Share)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("canvas {canvas}")))?;
    if record.status != CanvasStatus::Active {
        return Ok(EntryResult::WrongStatus(record.status));
    }
    let definition = &record.definition;
    let (updates, entry_properties): (Vec<UserUpsert>, Vec<Option<String>>) = candidates
        .into_iter()
        .map(|candidate| (candidate.user, candidate.entry_properties))
        .unzip();
    let merged = users::upsert_profiles(conn, workspace, &updates, now).await?;

    // Users created by this call have no journey yet; only the others are looked up.
    let mut known: Vec<&str> = merged
        .iter()
        .filter(|user| !user.created)
        .map(|user| user.profile.external_id.as_str())
        .collect();
    known.sort_unstable();
    known.dedup();
    let mut last_exited = last_journeys(conn, canvas, &known).await?;

    let mut report = EntryReport::default();
    let mut walks: Vec<(usize, Walk)> = Vec::new();
    for (index, user) in merged.iter().enumerate() {
        if user.created {
            report.users_created += 1;
        } else {
            report.users_updated += 1;
        }
        let external_id = &user.profile.external_id;
        if !may_enter(last_exited.get(external_id).copied(), definition.reentry) {
            report.already_in_canvas += 1;
            continue;
        }
        let walk = walk_from(
            definition,
            Some(&definition.entry_step_id),
            walk_user(&user.profile),
        );
        // A user named again later in this call sees this journey.
        last_exited.insert(external_id.clone(), walk.exited());
        walks.push((index, walk));
        report.entered += 1;
    }

    let ids = allocate_journey_ids(conn, walks.len()).await?;
    let mut journeys = JourneyColumns::default();
    let mut rows = WalkRows::default();
    let mut deltas = CounterDeltas::default();
    for ((index, walk), id) in walks.iter().zip(ids) {
        let external_id = merged[*index].profile.external_id.as_str();
        let (current_step, wake_at, exited_at) = journey_state(walk, now);
        journeys.id.push(id);
        journeys.external_id.push(external_id.to_owned());
        journeys.current_step.push(current_step);
        journeys.wake_at.push(wake_at);
        journeys.visits.push(walk.visits.len() as i64);
        journeys
            .entry_properties
            .push(entry_properties[*index].clone());
        journeys.exited_at.push(exited_at);
        let journey = JourneyRef {
            id,
            workspace: workspace.0,
            canvas,
            external_id,
            first_seq: 0,
        };
        rows.add(&journey, walk, now, &mut deltas);
        deltas.canvas(canvas, StepMetric::Entered, now);
    }
    journeys.insert(conn, workspace, canvas, now).await?;
    rows.insert(conn, now).await?;
    deltas.apply(conn).await?;
    Ok(EntryResult::Entered(report))
}

/// A journey whose delay is over, claimed by this transaction.
struct DueJourney {
    id: i64,
    workspace: i64,
    canvas: CanvasId,
    external_id: String,
    step: String,
    visits: i64,
}

/// Claims up to `limit` due journeys of active Canvases. Rows another transaction holds are
/// skipped; a row it changed meanwhile is re-checked against the condition once locked.
async fn claim_due(
    conn: &mut PgConnection,
    now: i64,
    limit: u32,
) -> Result<Vec<DueJourney>, StoreError> {
    let rows = sqlx::query(
        "SELECT j.id, j.workspace_id, j.canvas_id, j.external_id, j.current_step, j.visits
         FROM journeys j JOIN canvases c ON c.id = j.canvas_id
         WHERE j.wake_at IS NOT NULL AND j.wake_at <= $1 AND c.status = 'active'
         ORDER BY j.wake_at, j.id LIMIT $2
         FOR UPDATE OF j SKIP LOCKED",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DueJourney {
                id: row.try_get(0)?,
                workspace: row.try_get(1)?,
                canvas: CanvasId(row.try_get(2)?),
                external_id: row.try_get(3)?,
                step: row.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                visits: row.try_get(5)?,
            })
        })
        .collect()
}

/// The current profiles of the users of these journeys, by (workspace, external id).
async fn profiles_of(
    conn: &mut PgConnection,
    due: &[DueJourney],
) -> Result<HashMap<(i64, String), UserProfile>, StoreError> {
    let workspaces: Vec<i64> = due.iter().map(|journey| journey.workspace).collect();
    let external_ids: Vec<&str> = due.iter().map(|j| j.external_id.as_str()).collect();
    let rows = sqlx::query(
        "SELECT u.workspace_id, u.external_id, u.email_sha256, u.email_status, u.gaid_sha256,
             u.gaid_status, u.idfa_sha256, u.idfa_status, u.ad_tracking_enabled, u.attributes,
             u.created_at, u.updated_at
         FROM users u
         JOIN (SELECT DISTINCT * FROM UNNEST($1::bigint[], $2::text[])) AS d(workspace_id,
               external_id)
           ON u.workspace_id = d.workspace_id AND u.external_id = d.external_id",
    )
    .bind(workspaces)
    .bind(external_ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut profiles = HashMap::with_capacity(rows.len());
    for row in &rows {
        let profile = users::profile_from_row(row)?;
        profiles.insert(
            (profile.workspace_id.0, profile.external_id.clone()),
            profile,
        );
    }
    Ok(profiles)
}

/// A profile with nothing stored, for a journey whose user row is missing.
fn blank_profile(workspace: i64, external_id: &str) -> UserProfile {
    UserProfile {
        workspace_id: WorkspaceId(workspace),
        external_id: external_id.to_owned(),
        email: StoredIdentifier::missing(),
        gaid: StoredIdentifier::missing(),
        idfa: StoredIdentifier::missing(),
        ad_tracking_enabled: true,
        attributes: serde_json::Map::new(),
        created_at: 0,
        updated_at: 0,
    }
}

/// The definitions of the Canvases of these journeys.
async fn definitions_of(
    conn: &mut PgConnection,
    due: &[DueJourney],
) -> Result<HashMap<CanvasId, CanvasDefinition>, StoreError> {
    let mut definitions = HashMap::new();
    for journey in due {
        if definitions.contains_key(&journey.canvas) {
            continue;
        }
        let record: CanvasRecord = crud::fetch(conn, None, journey.canvas, Lock::None)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("canvas {}", journey.canvas)))?;
        definitions.insert(journey.canvas, record.definition);
    }
    Ok(definitions)
}

/// Changes to claimed journeys, as columns: the visit that ends and the journey's new state.
#[derive(Default)]
struct AdvanceColumns {
    id: Vec<i64>,
    waiting_seq: Vec<i64>,
    ends_here: Vec<bool>,
    current_step: Vec<Option<String>>,
    wake_at: Vec<Option<i64>>,
    exited_at: Vec<Option<i64>>,
    added_visits: Vec<i64>,
}

impl AdvanceColumns {
    async fn write(self, conn: &mut PgConnection, now: i64) -> Result<(), StoreError> {
        if self.id.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE journey_visits v SET left_at = $4, exited = t.ends_here
             FROM UNNEST($1::bigint[], $2::bigint[], $3::bool[]) AS t(journey_id, seq, ends_here)
             WHERE v.journey_id = t.journey_id AND v.seq = t.seq",
        )
        .bind(&self.id)
        .bind(self.waiting_seq)
        .bind(self.ends_here)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE journeys j SET current_step = t.current_step, wake_at = t.wake_at,
                 exited_at = t.exited_at, visits = j.visits + t.added_visits
             FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
                 AS t(id, current_step, wake_at, exited_at, added_visits)
             WHERE j.id = t.id",
        )
        .bind(self.id)
        .bind(self.current_step)
        .bind(self.wake_at)
        .bind(self.exited_at)
        .bind(self.added_visits)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

pub(super) async fn advance_due(
    conn: &mut PgConnection,
    now: i64,
    limit: u32,
) -> Result<TimerReport, StoreError> {
    let due = claim_due(conn, now, limit).await?;
    if due.is_empty() {
        return Ok(TimerReport::default());
    }
    let definitions = definitions_of(conn, &due).await?;
    let profiles = profiles_of(conn, &due).await?;
    let mut changes = AdvanceColumns::default();
    let mut rows = WalkRows::default();
    let mut deltas = CounterDeltas::default();
    for journey in &due {
        let definition = &definitions[&journey.canvas];
        let blank;
        let profile = match profiles.get(&(journey.workspace, journey.external_id.clone())) {
            Some(profile) => profile,
            None => {
                blank = blank_profile(journey.workspace, &journey.external_id);
                &blank
            }
        };
        let next: Option<StepId> = definition
            .step(&journey.step)
            .and_then(|step| step.next_for(&profile.attributes).cloned());
        let walk = walk_from(definition, next.as_ref(), walk_user(profile));
        let ends_here = walk.visits.is_empty();
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
        rows.add(&target, &walk, now, &mut deltas);
        let (current_step, wake_at, exited_at) = journey_state(&walk, now);
        changes.id.push(journey.id);
        changes.waiting_seq.push(journey.visits - 1);
        changes.ends_here.push(ends_here);
        changes.current_step.push(current_step);
        changes.wake_at.push(wake_at);
        changes.exited_at.push(exited_at);
        changes.added_visits.push(walk.visits.len() as i64);
    }
    changes.write(conn, now).await?;
    rows.insert(conn, now).await?;
    deltas.apply(conn).await?;
    Ok(TimerReport {
        advanced: due.len() as u64,
    })
}

pub(super) async fn next_wake_at(conn: &mut PgConnection) -> Result<Option<i64>, StoreError> {
    // Written as the first of `journeys_due` in order, which the planner reads as a walk of
    // that partial index: as MIN over a join, with stale statistics after a bulk entry, it
    // read every journey of each active Canvas instead (30 to 170 ms per call).
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT j.wake_at FROM journeys j
         WHERE j.wake_at IS NOT NULL
           AND EXISTS (SELECT 1 FROM canvases c WHERE c.id = j.canvas_id AND c.status = 'active')
         ORDER BY j.wake_at LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    Ok(next)
}

pub(super) async fn users_page(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<UserProfile>, StoreError> {
    let rows = sqlx::query(
        "SELECT workspace_id, external_id, email_sha256, email_status, gaid_sha256,
             gaid_status, idfa_sha256, idfa_status, ad_tracking_enabled, attributes,
             created_at, updated_at
         FROM users WHERE workspace_id = $1 AND external_id > $2
         ORDER BY external_id LIMIT $3",
    )
    .bind(workspace.0)
    .bind(after.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(users::profile_from_row).collect()
}
