//! Canvases on PostgreSQL: create, read, list, edit, and lifecycle changes. Edits and status
//! changes lock the Canvas row (`FOR UPDATE`), so they serialize with each other and with the
//! entry path, which holds a share lock on the row for its whole transaction.

use pinsync_core::canvas::{CanvasDefinition, StepId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::counters;
use crate::canvas_model::{CanvasChange, CanvasId, CanvasRecord, CanvasStatus};
use crate::error::StoreError;
use crate::model::WorkspaceId;

const COLUMNS: &str = "id, workspace_id, status, definition, created_at, updated_at, \
                       launched_at, stopped_at, archived_at";

/// How a read of a Canvas row locks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lock {
    /// A plain read.
    None,
    /// `FOR SHARE`: the status cannot change before the transaction ends.
    Share,
    /// `FOR UPDATE`: this transaction is about to change the row.
    Update,
}

impl Lock {
    fn clause(self) -> &'static str {
        match self {
            Lock::None => "",
            Lock::Share => " FOR SHARE",
            Lock::Update => " FOR UPDATE",
        }
    }
}

/// The `name` column's copy of the Canvas name. PostgreSQL's TEXT cannot hold U+0000, which
/// a Canvas name may contain; the column is a convenience for people reading the database
/// and is never read back (the name comes from `definition`, where JSON escapes it), so a NUL
/// becomes U+FFFD there.
fn name_column(name: &str) -> String {
    name.replace('\0', "\u{FFFD}")
}

fn decode(row: &PgRow) -> Result<CanvasRecord, StoreError> {
    let id = CanvasId(row.try_get("id")?);
    let status: String = row.try_get("status")?;
    let definition: String = row.try_get("definition")?;
    Ok(CanvasRecord {
        id,
        workspace_id: WorkspaceId(row.try_get("workspace_id")?),
        status: CanvasStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("canvas status `{status}`")))?,
        definition: serde_json::from_str(&definition)
            .map_err(|e| StoreError::Corrupt(format!("canvas {id} definition: {e}")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        launched_at: row.try_get("launched_at")?,
        stopped_at: row.try_get("stopped_at")?,
        archived_at: row.try_get("archived_at")?,
    })
}

fn encode(definition: &CanvasDefinition) -> Result<String, StoreError> {
    serde_json::to_string(definition)
        .map_err(|e| StoreError::Database(format!("cannot encode a canvas definition: {e}")))
}

/// The Canvas with this id, restricted to `workspace` when given.
pub(super) async fn fetch(
    conn: &mut PgConnection,
    workspace: Option<WorkspaceId>,
    id: CanvasId,
    lock: Lock,
) -> Result<Option<CanvasRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM canvases WHERE id = $1{}",
        lock.clause()
    );
    let Some(row) = sqlx::query(&sql).bind(id.0).fetch_optional(conn).await? else {
        return Ok(None);
    };
    let record = decode(&row)?;
    if workspace.is_some_and(|workspace| workspace != record.workspace_id) {
        return Ok(None);
    }
    Ok(Some(record))
}

pub(super) async fn create(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    definition: CanvasDefinition,
    now: i64,
) -> Result<CanvasRecord, StoreError> {
    let sql = format!(
        "INSERT INTO canvases (workspace_id, name, status, definition, created_at, updated_at)
         VALUES ($1, $2, 'draft', $3, $4, $4) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(workspace.0)
        .bind(name_column(&definition.name))
        .bind(encode(&definition)?)
        .bind(now)
        .fetch_one(conn)
        .await?;
    decode(&row)
}

pub(super) async fn list(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    include_archived: bool,
) -> Result<Vec<CanvasRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM canvases WHERE workspace_id = $1
           AND ($2 OR status <> 'archived') ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .bind(workspace.0)
        .bind(include_archived)
        .fetch_all(conn)
        .await?;
    rows.iter().map(decode).collect()
}

async fn require_locked(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    id: CanvasId,
) -> Result<CanvasRecord, StoreError> {
    fetch(conn, Some(workspace), id, Lock::Update)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("canvas {id}")))
}

pub(super) async fn update(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    id: CanvasId,
    definition: CanvasDefinition,
    allowed: &[CanvasStatus],
    must_be_unused: &[StepId],
    now: i64,
) -> Result<CanvasChange, StoreError> {
    let current = require_locked(conn, workspace, id).await?;
    if !allowed.contains(&current.status) {
        return Ok(CanvasChange::WrongStatus(current.status));
    }
    let used: Vec<StepId> = counters::steps_with_history(conn, id)
        .await?
        .into_iter()
        .filter(|step| must_be_unused.contains(step))
        .collect();
    if !used.is_empty() {
        return Ok(CanvasChange::StepsInUse(used));
    }
    let sql = format!(
        "UPDATE canvases SET name = $2, definition = $3, updated_at = $4 WHERE id = $1
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(name_column(&definition.name))
        .bind(encode(&definition)?)
        .bind(now)
        .fetch_one(conn)
        .await?;
    decode(&row).map(CanvasChange::Done)
}

pub(super) async fn set_status(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    id: CanvasId,
    from: &[CanvasStatus],
    to: CanvasStatus,
    now: i64,
) -> Result<CanvasChange, StoreError> {
    let current = require_locked(conn, workspace, id).await?;
    if !from.contains(&current.status) {
        return Ok(CanvasChange::WrongStatus(current.status));
    }
    let stamp = match to {
        CanvasStatus::Draft => "updated_at",
        CanvasStatus::Active => "launched_at",
        CanvasStatus::Stopped => "stopped_at",
        CanvasStatus::Archived => "archived_at",
    };
    let sql = format!(
        "UPDATE canvases SET status = $2, {stamp} = $3, updated_at = $3 WHERE id = $1
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(to.as_str())
        .bind(now)
        .fetch_one(conn)
        .await?;
    decode(&row).map(CanvasChange::Done)
}
