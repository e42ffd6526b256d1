//! Users in SQLite: hashed identifiers with their parse outcome, consent and attributes.

use rusqlite::{Connection, OptionalExtension, Row, Transaction};
use serde_json::{Map, Value};

use crate::error::StoreError;
use crate::model::{StoredIdentifier, UpsertSummary, UserProfile, UserUpsert, WorkspaceId};
use crate::profile_merge::{apply_upsert, blank_profile};

const SELECT_USER: &str = "SELECT workspace_id, external_id, email_sha256, email_status,
        gaid_sha256, gaid_status, idfa_sha256, idfa_status, ad_tracking_enabled, attributes,
        created_at, updated_at
    FROM users WHERE workspace_id = ?1 AND external_id = ?2";

fn profile_from_row(row: &Row<'_>) -> rusqlite::Result<(UserProfile, String)> {
    let attributes: String = row.get(9)?;
    let profile = UserProfile {
        workspace_id: WorkspaceId(row.get(0)?),
        external_id: row.get(1)?,
        email: StoredIdentifier {
            sha256: row.get(2)?,
            status: row.get(3)?,
        },
        gaid: StoredIdentifier {
            sha256: row.get(4)?,
            status: row.get(5)?,
        },
        idfa: StoredIdentifier {
            sha256: row.get(6)?,
            status: row.get(7)?,
        },
        ad_tracking_enabled: row.get(8)?,
        attributes: Map::new(),
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    };
    Ok((profile, attributes))
}

fn decode_attributes(text: &str) -> Result<Map<String, Value>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("user attributes: {e}")))
}

fn fetch_in(
    conn: &Connection,
    workspace: WorkspaceId,
    external_id: &str,
) -> Result<Option<UserProfile>, StoreError> {
    let Some((mut profile, attributes)) = conn
        .prepare_cached(SELECT_USER)?
        .query_row((workspace.0, external_id), profile_from_row)
        .optional()?
    else {
        return Ok(None);
    };
    profile.attributes = decode_attributes(&attributes)?;
    Ok(Some(profile))
}

pub(super) fn fetch(
    conn: &Connection,
    workspace: WorkspaceId,
    external_id: &str,
) -> Result<Option<UserProfile>, StoreError> {
    fetch_in(conn, workspace, external_id)
}

pub(super) fn count(conn: &Connection, workspace: WorkspaceId) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM users WHERE workspace_id = ?1",
        [workspace.0],
        |row| row.get(0),
    )?;
    Ok(n as u64)
}

/// Applies one upsert to the stored profile (or a blank one) and returns the merged profile.
fn merge(
    existing: Option<UserProfile>,
    workspace: WorkspaceId,
    update: &UserUpsert,
    now: i64,
) -> UserProfile {
    let mut profile =
        existing.unwrap_or_else(|| blank_profile(workspace, &update.external_id, now));
    apply_upsert(&mut profile, update, now);
    profile
}

pub(super) fn upsert(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    users: &[UserUpsert],
) -> Result<UpsertSummary, StoreError> {
    let now = crate::now_millis();
    let mut summary = UpsertSummary::default();
    let mut write = tx.prepare_cached(
        "INSERT INTO users (workspace_id, external_id, email_sha256, email_status, gaid_sha256,
             gaid_status, idfa_sha256, idfa_status, ad_tracking_enabled, attributes, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (workspace_id, external_id) DO UPDATE SET
             email_sha256 = excluded.email_sha256, email_status = excluded.email_status,
             gaid_sha256 = excluded.gaid_sha256, gaid_status = excluded.gaid_status,
             idfa_sha256 = excluded.idfa_sha256, idfa_status = excluded.idfa_status,
             ad_tracking_enabled = excluded.ad_tracking_enabled,
             attributes = excluded.attributes, updated_at = excluded.updated_at",
    )?;
    for update in users {
        let existing = fetch_in(tx, workspace, &update.external_id)?;
        if existing.is_some() {
            summary.updated += 1;
        } else {
            summary.created += 1;
        }
        let profile = merge(existing, workspace, update, now);
        let attributes = Value::Object(profile.attributes).to_string();
        write.execute(rusqlite::params![
            workspace.0,
            profile.external_id,
            profile.email.sha256,
            profile.email.status,
            profile.gaid.sha256,
            profile.gaid.status,
            profile.idfa.sha256,
            profile.idfa.status,
            profile.ad_tracking_enabled,
            attributes,
            profile.created_at,
            profile.updated_at,
        ])?;
    }
    Ok(summary)
}
