//! The membership ledger and the Pinterest-side target statuses on PostgreSQL. A ledger write
//! is an upsert whose `WHERE` compares the step-entry order, so an older operation never
//! overrides a newer one, whichever instance commits last.

use std::collections::{BTreeMap, HashMap};

use pinsync_core::canvas::StepId;
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::sync::ledger::{LedgerEntry, MembershipState, OpOrder};
use sqlx::{PgConnection, Row};

use crate::canvas_model::CanvasId;
use crate::error::StoreError;
use crate::model::WorkspaceId;
use crate::sync::{LedgerWrite, TargetStatus};

fn as_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn as_stored(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) async fn entries(
    conn: &mut PgConnection,
    audience_id: &str,
    identifiers: &[String],
) -> Result<HashMap<String, LedgerEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT identifier_sha256, state, last_entered_at, last_journey_id, last_visit_seq
         FROM sync_ledger WHERE audience_id = $1 AND identifier_sha256 = ANY($2::text[])",
    )
    .bind(audience_id)
    .bind(identifiers)
    .fetch_all(conn)
    .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let state: String = row.try_get(1)?;
        let state = MembershipState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("ledger state `{state}`")))?;
        let last_op = OpOrder::new(row.try_get(2)?, row.try_get(3)?, row.try_get(4)?);
        found.insert(row.try_get(0)?, LedgerEntry { state, last_op });
    }
    Ok(found)
}

pub(super) async fn members(
    conn: &mut PgConnection,
    audience_id: &str,
    workspace_id: WorkspaceId,
    external_ids: &[String],
) -> Result<Vec<(String, IdentifierKind, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT external_id, kind, identifier_sha256 FROM sync_ledger
         WHERE audience_id = $1 AND external_id = ANY($2::text[]) AND workspace_id = $3
           AND state = 'member'",
    )
    .bind(audience_id)
    .bind(external_ids)
    .bind(workspace_id.0)
    .fetch_all(conn)
    .await?;
    let mut by_user: HashMap<String, Vec<(IdentifierKind, String)>> = HashMap::new();
    for row in rows {
        let kind: String = row.try_get(1)?;
        let kind = IdentifierKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("ledger identifier kind `{kind}`")))?;
        by_user
            .entry(row.try_get(0)?)
            .or_default()
            .push((kind, row.try_get(2)?));
    }
    // The caller's user order, then each user's identifiers in byte order; a user named twice
    // is listed twice, as one lookup per name would.
    let mut found = Vec::new();
    for external_id in external_ids {
        let Some(identifiers) = by_user.get_mut(external_id) else {
            continue;
        };
        identifiers.sort_by(|a, b| a.1.cmp(&b.1));
        for (kind, hash) in identifiers.iter() {
            found.push((external_id.clone(), *kind, hash.clone()));
        }
    }
    Ok(found)
}

pub(super) async fn record(
    conn: &mut PgConnection,
    audience_id: &str,
    writes: &[LedgerWrite],
    now: i64,
) -> Result<(), StoreError> {
    // One row per identifier (an upsert may not touch a row twice): the latest operation, or
    // the first of equally late ones, as applying them in turn would leave. Sorted by
    // identifier, so concurrent writers lock rows in one order.
    let mut latest: BTreeMap<&str, &LedgerWrite> = BTreeMap::new();
    for write in writes {
        latest
            .entry(write.identifier_sha256.as_str())
            .and_modify(|kept| {
                if write.entry.last_op > kept.entry.last_op {
                    *kept = write;
                }
            })
            .or_insert(write);
    }
    if latest.is_empty() {
        return Ok(());
    }
    let mut identifiers = Vec::with_capacity(latest.len());
    let mut workspaces = Vec::with_capacity(latest.len());
    let mut external_ids = Vec::with_capacity(latest.len());
    let mut kinds = Vec::with_capacity(latest.len());
    let mut states = Vec::with_capacity(latest.len());
    let mut entered = Vec::with_capacity(latest.len());
    let mut journeys = Vec::with_capacity(latest.len());
    let mut seqs = Vec::with_capacity(latest.len());
    for (identifier, write) in latest {
        identifiers.push(identifier);
        workspaces.push(write.workspace_id.0);
        external_ids.push(write.external_id.as_str());
        kinds.push(write.kind.as_str());
        states.push(write.entry.state.as_str());
        entered.push(write.entry.last_op.entered_at);
        journeys.push(write.entry.last_op.journey_id);
        seqs.push(write.entry.last_op.visit_seq);
    }
    sqlx::query(
        "INSERT INTO sync_ledger AS l (audience_id, identifier_sha256, workspace_id,
             external_id, kind, state, last_entered_at, last_journey_id, last_visit_seq,
             updated_at)
         SELECT $1, t.identifier, t.workspace_id, t.external_id, t.kind, t.state, t.entered_at,
             t.journey_id, t.visit_seq, $10
         FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                     $7::bigint[], $8::bigint[], $9::bigint[])
             AS t(identifier, workspace_id, external_id, kind, state, entered_at, journey_id,
                  visit_seq)
         ON CONFLICT (audience_id, identifier_sha256) DO UPDATE SET
             workspace_id = EXCLUDED.workspace_id, external_id = EXCLUDED.external_id,
             kind = EXCLUDED.kind, state = EXCLUDED.state,
             last_entered_at = EXCLUDED.last_entered_at,
             last_journey_id = EXCLUDED.last_journey_id,
             last_visit_seq = EXCLUDED.last_visit_seq, updated_at = EXCLUDED.updated_at
         WHERE (EXCLUDED.last_entered_at, EXCLUDED.last_journey_id, EXCLUDED.last_visit_seq)
             > (l.last_entered_at, l.last_journey_id, l.last_visit_seq)",
    )
    .bind(audience_id)
    .bind(identifiers)
    .bind(workspaces)
    .bind(external_ids)
    .bind(kinds)
    .bind(states)
    .bind(entered)
    .bind(journeys)
    .bind(seqs)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn record_status(
    conn: &mut PgConnection,
    status: &TargetStatus,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sync_target_status (canvas_id, step_id, audience_id, customer_list_id,
             list_status, audience_status, audience_size, uploaded_records, removed_records,
             error, polled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (canvas_id, step_id) DO UPDATE SET
             audience_id = EXCLUDED.audience_id, customer_list_id = EXCLUDED.customer_list_id,
             list_status = EXCLUDED.list_status, audience_status = EXCLUDED.audience_status,
             audience_size = EXCLUDED.audience_size,
             uploaded_records = EXCLUDED.uploaded_records,
             removed_records = EXCLUDED.removed_records, error = EXCLUDED.error,
             polled_at = EXCLUDED.polled_at",
    )
    .bind(status.canvas_id.0)
    .bind(status.step_id.as_str())
    .bind(&status.audience_id)
    .bind(&status.customer_list_id)
    .bind(&status.list_status)
    .bind(&status.audience_status)
    .bind(status.audience_size.map(as_stored))
    .bind(as_stored(status.uploaded_records))
    .bind(as_stored(status.removed_records))
    .bind(&status.error)
    .bind(status.polled_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn statuses(
    conn: &mut PgConnection,
    canvas_id: CanvasId,
) -> Result<Vec<TargetStatus>, StoreError> {
    let rows = sqlx::query(
        "SELECT step_id, audience_id, customer_list_id, list_status, audience_status,
             audience_size, uploaded_records, removed_records, error, polled_at
         FROM sync_target_status WHERE canvas_id = $1 ORDER BY step_id COLLATE \"C\"",
    )
    .bind(canvas_id.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TargetStatus {
                canvas_id,
                step_id: StepId(row.try_get(0)?),
                audience_id: row.try_get(1)?,
                customer_list_id: row.try_get(2)?,
                list_status: row.try_get(3)?,
                audience_status: row.try_get(4)?,
                audience_size: row.try_get::<Option<i64>, _>(5)?.map(as_count),
                uploaded_records: as_count(row.try_get(6)?),
                removed_records: as_count(row.try_get(7)?),
                error: row.try_get(8)?,
                polled_at: row.try_get(9)?,
            })
        })
        .collect()
}
