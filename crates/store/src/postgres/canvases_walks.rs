//! The rows a batch of walks writes on PostgreSQL: each walk's visits and sync items are
//! gathered as columns and inserted with one `INSERT … SELECT FROM UNNEST(…)` per table, and
//! counted in the caller's [`CounterDeltas`], so a chunk of thousands of users costs a handful
//! of statements.

use pinsync_core::identifier::IdentifierKind;
use pinsync_core::metrics::StepMetric;
use sqlx::PgConnection;

use super::counters::CounterDeltas;
use crate::canvas_model::CanvasId;
use crate::canvas_model::walk::{VisitKind, Walk};
use crate::error::StoreError;

/// The journey a walk is applied to.
pub(super) struct JourneyRef<'a> {
    pub id: i64,
    pub workspace: i64,
    pub canvas: CanvasId,
    pub external_id: &'a str,
    /// The `seq` of the walk's first visit.
    pub first_seq: i64,
}

/// Visits and sync items of many walks, not yet written.
#[derive(Default)]
pub(super) struct WalkRows {
    visits: VisitColumns,
    items: ItemColumns,
}

#[derive(Default)]
struct VisitColumns {
    journey_id: Vec<i64>,
    seq: Vec<i64>,
    canvas_id: Vec<i64>,
    step_id: Vec<String>,
    left_at: Vec<Option<i64>>,
    exited: Vec<bool>,
    outcome: Vec<Option<&'static str>>,
    reason: Vec<Option<&'static str>>,
}

#[derive(Default)]
struct ItemColumns {
    workspace_id: Vec<i64>,
    canvas_id: Vec<i64>,
    step_id: Vec<String>,
    journey_id: Vec<i64>,
    visit_seq: Vec<i64>,
    external_id: Vec<String>,
    action: Vec<&'static str>,
    email_sha256: Vec<Option<String>>,
    gaid_sha256: Vec<Option<String>>,
    idfa_sha256: Vec<Option<String>>,
}

impl WalkRows {
    /// Adds the walk's visits and sync items (entered at `now`) and counts them.
    pub(super) fn add(
        &mut self,
        journey: &JourneyRef<'_>,
        walk: &Walk,
        now: i64,
        deltas: &mut CounterDeltas,
    ) {
        let canvas = journey.canvas;
        for (offset, visit) in walk.visits.iter().enumerate() {
            let seq = journey.first_seq + offset as i64;
            let step = visit.step_id.as_str();
            let (outcome, reason) = match &visit.kind {
                VisitKind::Plain => (None, None),
                VisitKind::SyncQueued { .. } => (Some("pending"), None),
                VisitKind::NotSynced(reason) => (Some("not_synced"), Some(reason.as_str())),
            };
            let visits = &mut self.visits;
            visits.journey_id.push(journey.id);
            visits.seq.push(seq);
            visits.canvas_id.push(canvas.0);
            visits.step_id.push(step.to_owned());
            visits.left_at.push(visit.left.then_some(now));
            visits.exited.push(visit.exited);
            visits.outcome.push(outcome);
            visits.reason.push(reason);

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
                            .map(|(_, hash)| hash.clone())
                    };
                    let items = &mut self.items;
                    items.workspace_id.push(journey.workspace);
                    items.canvas_id.push(canvas.0);
                    items.step_id.push(step.to_owned());
                    items.journey_id.push(journey.id);
                    items.visit_seq.push(seq);
                    items.external_id.push(journey.external_id.to_owned());
                    items.action.push(action.as_str());
                    items.email_sha256.push(hash_of(IdentifierKind::Email));
                    items.gaid_sha256.push(hash_of(IdentifierKind::Gaid));
                    items.idfa_sha256.push(hash_of(IdentifierKind::Idfa));
                    deltas.add(canvas, step, StepMetric::Pending, "", now, 1);
                }
            }
        }
    }

    /// Inserts every visit and sync item gathered, all entered at `now`. Sync items get their
    /// ids in the order they were added, which is the order the pipeline claims them in.
    pub(super) async fn insert(self, conn: &mut PgConnection, now: i64) -> Result<(), StoreError> {
        let visits = self.visits;
        if !visits.journey_id.is_empty() {
            sqlx::query(
                "INSERT INTO journey_visits (journey_id, seq, canvas_id, step_id, entered_at,
                     left_at, exited, outcome, reason)
                 SELECT v.journey_id, v.seq, v.canvas_id, v.step_id, $9, v.left_at, v.exited,
                     v.outcome, v.reason
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                             $5::bigint[], $6::bool[], $7::text[], $8::text[])
                     AS v(journey_id, seq, canvas_id, step_id, left_at, exited, outcome, reason)",
            )
            .bind(visits.journey_id)
            .bind(visits.seq)
            .bind(visits.canvas_id)
            .bind(visits.step_id)
            .bind(visits.left_at)
            .bind(visits.exited)
            .bind(visits.outcome)
            .bind(visits.reason)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        let items = self.items;
        if !items.journey_id.is_empty() {
            sqlx::query(
                "INSERT INTO sync_items (workspace_id, canvas_id, step_id, journey_id, visit_seq,
                     external_id, action, email_sha256, gaid_sha256, idfa_sha256, entered_at,
                     available_at)
                 SELECT i.workspace_id, i.canvas_id, i.step_id, i.journey_id, i.visit_seq,
                     i.external_id, i.action, i.email_sha256, i.gaid_sha256, i.idfa_sha256,
                     $11, $11
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[],
                             $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
                     WITH ORDINALITY
                     AS i(workspace_id, canvas_id, step_id, journey_id, visit_seq, external_id,
                          action, email_sha256, gaid_sha256, idfa_sha256, n)
                 ORDER BY i.n",
            )
            .bind(items.workspace_id)
            .bind(items.canvas_id)
            .bind(items.step_id)
            .bind(items.journey_id)
            .bind(items.visit_seq)
            .bind(items.external_id)
            .bind(items.action)
            .bind(items.email_sha256)
            .bind(items.gaid_sha256)
            .bind(items.idfa_sha256)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
