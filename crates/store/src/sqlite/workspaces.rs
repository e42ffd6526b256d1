//! Workspaces and API keys in SQLite.

use rusqlite::{Connection, OptionalExtension, Row, Transaction};

use crate::error::StoreError;
use crate::model::{NewApiKey, Workspace, WorkspaceId};

fn workspace_from_row(row: &Row<'_>) -> rusqlite::Result<Workspace> {
    Ok(Workspace {
        id: WorkspaceId(row.get(0)?),
        name: row.get(1)?,
        created_at: row.get(2)?,
    })
}

pub(super) fn ensure(tx: &Transaction<'_>, name: &str) -> Result<Workspace, StoreError> {
    tx.execute(
        "INSERT INTO workspaces (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        (name, crate::now_millis()),
    )?;
    let workspace = tx.query_row(
        "SELECT id, name, created_at FROM workspaces WHERE name = ?1",
        [name],
        workspace_from_row,
    )?;
    Ok(workspace)
}

pub(super) fn by_name(conn: &Connection, name: &str) -> Result<Option<Workspace>, StoreError> {
    let workspace = conn
        .query_row(
            "SELECT id, name, created_at FROM workspaces WHERE name = ?1",
            [name],
            workspace_from_row,
        )
        .optional()?;
    Ok(workspace)
}

pub(super) fn insert_key(tx: &Transaction<'_>, key: &NewApiKey) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO api_keys (workspace_id, key_sha256, key_prefix, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        (
            key.workspace_id.0,
            &key.key_sha256,
            &key.key_prefix,
            crate::now_millis(),
        ),
    )?;
    Ok(())
}

pub(super) fn for_key(
    conn: &Connection,
    key_sha256: &str,
) -> Result<Option<WorkspaceId>, StoreError> {
    let id = conn
        .query_row(
            "SELECT workspace_id FROM api_keys WHERE key_sha256 = ?1 AND revoked_at IS NULL",
            [key_sha256],
            |row| row.get(0),
        )
        .optional()?;
    Ok(id.map(WorkspaceId))
}
