//! The membership ledger and the Pinterest-side target statuses in SQLite.

use std::collections::HashMap;

use pinsync_core::canvas::StepId;
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::sync::ledger::{LedgerEntry, MembershipState, OpOrder};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::canvas_model::CanvasId;
use crate::error::StoreError;
use crate::model::WorkspaceId;
use crate::sync::{LedgerWrite, TargetStatus};

pub(super) fn entries(
    conn: &Connection,
    audience_id: &str,
    identifiers: &[String],
) -> Result<HashMap<String, LedgerEntry>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT state, last_entered_at, last_journey_id, last_visit_seq FROM sync_ledger
         WHERE audience_id = ?1 AND identifier_sha256 = ?2",
    )?;
    let mut found = HashMap::new();
    for identifier in identifiers {
        let row: Option<(String, OpOrder)> = statement
            .query_row(params![audience_id, identifier], |row| {
                let order = OpOrder::new(row.get(1)?, row.get(2)?, row.get(3)?);
                Ok((row.get(0)?, order))
            })
            .optional()?;
        let Some((state, last_op)) = row else {
            continue;
        };
        let state = MembershipState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("ledger state `{state}`")))?;
        found.insert(identifier.clone(), LedgerEntry { state, last_op });
    }
    Ok(found)
}

pub(super) fn members(
    conn: &Connection,
    audience_id: &str,
    workspace_id: WorkspaceId,
    external_ids: &[String],
) -> Result<Vec<(String, IdentifierKind, String)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT kind, identifier_sha256 FROM sync_ledger
         WHERE audience_id = ?1 AND external_id = ?2 AND workspace_id = ?3 AND state = 'member'
         ORDER BY identifier_sha256",
    )?;
    let mut found = Vec::new();
    for external_id in external_ids {
        let rows = statement
            .query_map(params![audience_id, external_id, workspace_id.0], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
        for row in rows {
            let (kind, hash) = row?;
            let kind = IdentifierKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("ledger identifier kind `{kind}`")))?;
            found.push((external_id.clone(), kind, hash));
        }
    }
    Ok(found)
}

pub(super) fn record(
    tx: &Transaction<'_>,
    audience_id: &str,
    writes: &[LedgerWrite],
    now: i64,
) -> Result<(), StoreError> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO sync_ledger (audience_id, identifier_sha256, workspace_id, external_id,
             kind, state, last_entered_at, last_journey_id, last_visit_seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (audience_id, identifier_sha256) DO UPDATE SET
             workspace_id = excluded.workspace_id, external_id = excluded.external_id,
             kind = excluded.kind, state = excluded.state,
             last_entered_at = excluded.last_entered_at,
             last_journey_id = excluded.last_journey_id,
             last_visit_seq = excluded.last_visit_seq, updated_at = excluded.updated_at
         WHERE (excluded.last_entered_at, excluded.last_journey_id, excluded.last_visit_seq)
             > (sync_ledger.last_entered_at, sync_ledger.last_journey_id, sync_ledger.last_visit_seq)",
    )?;
    for write in writes {
        upsert.execute(params![
            audience_id,
            write.identifier_sha256,
            write.workspace_id.0,
            write.external_id,
            write.kind.as_str(),
            write.entry.state.as_str(),
            write.entry.last_op.entered_at,
            write.entry.last_op.journey_id,
            write.entry.last_op.visit_seq,
            now
        ])?;
    }
    Ok(())
}

pub(super) fn record_status(tx: &Transaction<'_>, status: &TargetStatus) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO sync_target_status (canvas_id, step_id, audience_id, customer_list_id,
             list_status, audience_status, audience_size, uploaded_records, removed_records,
             error, polled_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (canvas_id, step_id) DO UPDATE SET
             audience_id = excluded.audience_id, customer_list_id = excluded.customer_list_id,
             list_status = excluded.list_status, audience_status = excluded.audience_status,
             audience_size = excluded.audience_size,
             uploaded_records = excluded.uploaded_records,
             removed_records = excluded.removed_records, error = excluded.error,
             polled_at = excluded.polled_at",
        params![
            status.canvas_id.0,
            status.step_id.as_str(),
            status.audience_id,
            status.customer_list_id,
            status.list_status,
            status.audience_status,
            status
                .audience_size
                .map(|size| i64::try_from(size).unwrap_or(i64::MAX)),
            i64::try_from(status.uploaded_records).unwrap_or(i64::MAX),
            i64::try_from(status.removed_records).unwrap_or(i64::MAX),
            status.error,
            status.polled_at
        ],
    )?;
    Ok(())
}

pub(super) fn statuses(
    conn: &Connection,
    canvas_id: CanvasId,
) -> Result<Vec<TargetStatus>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT step_id, audience_id, customer_list_id, list_status, audience_status,
             audience_size, uploaded_records, removed_records, error, polled_at
         FROM sync_target_status WHERE canvas_id = ?1 ORDER BY step_id",
    )?;
    let rows = statement.query_map([canvas_id.0], |row| {
        Ok(TargetStatus {
            canvas_id,
            step_id: StepId(row.get(0)?),
            audience_id: row.get(1)?,
            customer_list_id: row.get(2)?,
            list_status: row.get(3)?,
            audience_status: row.get(4)?,
            audience_size: row.get::<_, Option<i64>>(5)?.map(|size| size.max(0) as u64),
            uploaded_records: row.get::<_, i64>(6)?.max(0) as u64,
            removed_records: row.get::<_, i64>(7)?.max(0) as u64,
            error: row.get(8)?,
            polled_at: row.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
