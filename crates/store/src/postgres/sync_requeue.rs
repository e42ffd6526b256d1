//! `retry_errored` on PostgreSQL: errored users of a step go back to `pending` as new sync
//! items built from their current identifiers, with the counters moved in the same
//! transaction. The errored visits are locked (`FOR UPDATE`), so two concurrent requeues of
//! one step requeue each user once: the second re-checks each visit once the first commits
//! and finds it `pending`.

use std::collections::BTreeMap;

use pinsync_core::canvas::{StepId, SyncAction};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::metrics::StepMetric;
use sqlx::{PgConnection, Row};

use crate::canvas_model::CanvasId;
use crate::error::StoreError;
use crate::postgres::canvases::counters::CounterDeltas;

struct ErroredVisit {
    journey_id: i64,
    seq: i64,
    entered_at: i64,
    reason: String,
    workspace_id: i64,
    external_id: String,
    hashes: [Option<String>; 3],
    ad_tracking_enabled: bool,
}

fn column(kind: IdentifierKind) -> usize {
    match kind {
        IdentifierKind::Email => 0,
        IdentifierKind::Gaid => 1,
        IdentifierKind::Idfa => 2,
    }
}

/// New sync items, as columns.
#[derive(Default)]
struct RequeuedItems {
    workspace_id: Vec<i64>,
    journey_id: Vec<i64>,
    visit_seq: Vec<i64>,
    external_id: Vec<String>,
    hashes: [Vec<Option<String>>; 3],
    entered_at: Vec<i64>,
}

pub(super) async fn requeue_errored(
    conn: &mut PgConnection,
    canvas_id: CanvasId,
    step_id: &StepId,
    action: SyncAction,
    match_fields: &[IdentifierKind],
    now: i64,
) -> Result<u64, StoreError> {
    let visits = errored_visits(conn, canvas_id, step_id).await?;
    let mut items = RequeuedItems::default();
    // Requeued users per errored reason, each taken off that reason's counters.
    let mut by_reason: BTreeMap<String, i64> = BTreeMap::new();
    for visit in visits {
        let mut hashes: [Option<String>; 3] = [None, None, None];
        for kind in match_fields {
            let index = column(*kind);
            hashes[index] = visit.hashes[index].clone();
        }
        if !visit.ad_tracking_enabled || hashes.iter().all(Option::is_none) {
            continue;
        }
        items.workspace_id.push(visit.workspace_id);
        items.journey_id.push(visit.journey_id);
        items.visit_seq.push(visit.seq);
        items.external_id.push(visit.external_id);
        for (column, hash) in items.hashes.iter_mut().zip(hashes) {
            column.push(hash);
        }
        items.entered_at.push(visit.entered_at);
        *by_reason.entry(visit.reason).or_insert(0) += 1;
    }
    let requeued = items.journey_id.len() as u64;
    if requeued == 0 {
        return Ok(0);
    }
    let [email, gaid, idfa] = items.hashes;
    sqlx::query(
        "INSERT INTO sync_items (workspace_id, canvas_id, step_id, journey_id, visit_seq,
             external_id, action, email_sha256, gaid_sha256, idfa_sha256, entered_at,
             available_at)
         SELECT t.workspace_id, $8, $9, t.journey_id, t.visit_seq, t.external_id, $10,
             t.email, t.gaid, t.idfa, t.entered_at, $11
         FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
                     $6::text[], $7::text[], $12::bigint[])
             WITH ORDINALITY
             AS t(workspace_id, journey_id, visit_seq, external_id, email, gaid, idfa,
                  entered_at, n)
         ORDER BY t.n",
    )
    .bind(items.workspace_id)
    .bind(&items.journey_id)
    .bind(&items.visit_seq)
    .bind(items.external_id)
    .bind(email)
    .bind(gaid)
    .bind(idfa)
    .bind(canvas_id.0)
    .bind(step_id.as_str())
    .bind(action.as_str())
    .bind(now)
    .bind(items.entered_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE journey_visits v SET outcome = 'pending', reason = NULL
         FROM UNNEST($1::bigint[], $2::bigint[]) AS t(journey_id, seq)
         WHERE v.journey_id = t.journey_id AND v.seq = t.seq",
    )
    .bind(&items.journey_id)
    .bind(&items.visit_seq)
    .execute(&mut *conn)
    .await?;

    let mut deltas = CounterDeltas::default();
    uncount_errored(conn, canvas_id, step_id, by_reason, &mut deltas).await?;
    deltas.add(
        canvas_id,
        step_id.as_str(),
        StepMetric::Pending,
        "",
        now,
        requeued as i64,
    );
    deltas.apply(conn).await?;
    Ok(requeued)
}

/// Takes `by_reason` users off the step's `errored` counters, each from the latest day whose
/// counter is still positive, as the SQLite backend does one user at a time.
async fn uncount_errored(
    conn: &mut PgConnection,
    canvas_id: CanvasId,
    step_id: &StepId,
    mut by_reason: BTreeMap<String, i64>,
    deltas: &mut CounterDeltas,
) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT reason, day, value FROM canvas_counters
         WHERE canvas_id = $1 AND step_id = $2 AND metric = 'errored' AND value > 0
         ORDER BY reason, day DESC",
    )
    .bind(canvas_id.0)
    .bind(step_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let reason: String = row.try_get(0)?;
        let Some(left) = by_reason.get_mut(&reason) else {
            continue;
        };
        let value: i64 = row.try_get(2)?;
        let taken = value.min(*left);
        if taken > 0 {
            deltas.add_on_day(
                canvas_id,
                step_id.as_str(),
                StepMetric::Errored,
                &reason,
                row.try_get(1)?,
                -taken,
            );
            *left -= taken;
        }
    }
    Ok(())
}

async fn errored_visits(
    conn: &mut PgConnection,
    canvas_id: CanvasId,
    step_id: &StepId,
) -> Result<Vec<ErroredVisit>, StoreError> {
    let rows = sqlx::query(
        "SELECT v.journey_id, v.seq, v.entered_at, COALESCE(v.reason, ''), j.workspace_id,
             j.external_id, u.email_sha256, u.gaid_sha256, u.idfa_sha256, u.ad_tracking_enabled
         FROM journey_visits v
         JOIN journeys j ON j.id = v.journey_id
         JOIN users u ON u.workspace_id = j.workspace_id AND u.external_id = j.external_id
         WHERE v.canvas_id = $1 AND v.step_id = $2 AND v.outcome = 'errored'
         ORDER BY v.journey_id, v.seq
         FOR UPDATE OF v",
    )
    .bind(canvas_id.0)
    .bind(step_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ErroredVisit {
                journey_id: row.try_get(0)?,
                seq: row.try_get(1)?,
                entered_at: row.try_get(2)?,
                reason: row.try_get(3)?,
                workspace_id: row.try_get(4)?,
                external_id: row.try_get(5)?,
                hashes: [row.try_get(6)?, row.try_get(7)?, row.try_get(8)?],
                ad_tracking_enabled: row.try_get(9)?,
            })
        })
        .collect()
}
