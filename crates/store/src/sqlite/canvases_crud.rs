//! Canvases in SQLite: create, read, list, edit, and lifecycle changes.

use pinsync_core::canvas::{CanvasDefinition, StepId};
use rusqlite::{Connection, OptionalExtension, Row, Transaction};

use super::counters;
use crate::canvas_model::{CanvasChange, CanvasId, CanvasRecord, CanvasStatus};
use crate::error::StoreError;
use crate::model::WorkspaceId;

const COLUMNS: &str = "id, workspace_id, status, definition, created_at, updated_at, \
                       launched_at, stopped_at, archived_at";

struct RawCanvas {
    record: CanvasRecord,
    status: String,
    definition: String,
}

fn raw_from_row(row: &Row<'_>) -> rusqlite::Result<RawCanvas> {
    Ok(RawCanvas {
        record: CanvasRecord {
            id: CanvasId(row.get(0)?),
            workspace_id: WorkspaceId(row.get(1)?),
            status: CanvasStatus::Draft,
            definition: CanvasDefinition {
                name: String::new(),
                entry_step_id: StepId::default(),
                reentry: Default::default(),
                steps: Vec::new(),
            },
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
            launched_at: row.get(6)?,
            stopped_at: row.get(7)?,
            archived_at: row.get(8)?,
        },
        status: row.get(2)?,
        definition: row.get(3)?,
    })
}

fn decode(raw: RawCanvas) -> Result<CanvasRecord, StoreError> {
    let mut record = raw.record;
    record.status = CanvasStatus::parse(&raw.status)
        .ok_or_else(|| StoreError::Corrupt(format!("canvas status `{}`", raw.status)))?;
    record.definition = serde_json::from_str(&raw.definition)
        .map_err(|e| StoreError::Corrupt(format!("canvas {} definition: {e}", record.id)))?;
    Ok(record)
}

fn encode(definition: &CanvasDefinition) -> Result<String, StoreError> {
    serde_json::to_string(definition)
        .map_err(|e| StoreError::Database(format!("cannot encode a canvas definition: {e}")))
}

/// The Canvas with this id, restricted to `workspace` when given.
pub(super) fn fetch(
    conn: &Connection,
    workspace: Option<WorkspaceId>,
    id: CanvasId,
) -> Result<Option<CanvasRecord>, StoreError> {
    let raw = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM canvases WHERE id = ?1"))?
        .query_row([id.0], raw_from_row)
        .optional()?;
    let Some(raw) = raw else {
        return Ok(None);
    };
    if workspace.is_some_and(|workspace| workspace != raw.record.workspace_id) {
        return Ok(None);
    }
    decode(raw).map(Some)
}

pub(super) fn create(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    definition: CanvasDefinition,
    now: i64,
) -> Result<CanvasRecord, StoreError> {
    tx.execute(
        "INSERT INTO canvases (workspace_id, name, status, definition, created_at, updated_at)
         VALUES (?1, ?2, 'draft', ?3, ?4, ?4)",
        (workspace.0, &definition.name, encode(&definition)?, now),
    )?;
    let id = CanvasId(tx.last_insert_rowid());
    fetch(tx, Some(workspace), id)?.ok_or_else(|| StoreError::NotFound(format!("canvas {id}")))
}

pub(super) fn list(
    conn: &Connection,
    workspace: WorkspaceId,
    include_archived: bool,
) -> Result<Vec<CanvasRecord>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM canvases WHERE workspace_id = ?1
           AND (?2 OR status <> 'archived') ORDER BY id"
    ))?;
    let raws = statement
        .query_map((workspace.0, include_archived), raw_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    raws.into_iter().map(decode).collect()
}

fn require(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    id: CanvasId,
) -> Result<CanvasRecord, StoreError> {
    fetch(tx, Some(workspace), id)?.ok_or_else(|| StoreError::NotFound(format!("canvas {id}")))
}

pub(super) fn update(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    id: CanvasId,
    definition: CanvasDefinition,
    allowed: &[CanvasStatus],
    must_be_unused: &[StepId],
    now: i64,
) -> Result<CanvasChange, StoreError> {
    let current = require(tx, workspace, id)?;
    if !allowed.contains(&current.status) {
        return Ok(CanvasChange::WrongStatus(current.status));
    }
    let used: Vec<StepId> = counters::steps_with_history(tx, id)?
        .into_iter()
        .filter(|step| must_be_unused.contains(step))
        .collect();
    if !used.is_empty() {
        return Ok(CanvasChange::StepsInUse(used));
    }
    tx.execute(
        "UPDATE canvases SET name = ?2, definition = ?3, updated_at = ?4 WHERE id = ?1",
        (id.0, &definition.name, encode(&definition)?, now),
    )?;
    require(tx, workspace, id).map(CanvasChange::Done)
}

pub(super) fn set_status(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    id: CanvasId,
    from: &[CanvasStatus],
    to: CanvasStatus,
    now: i64,
) -> Result<CanvasChange, StoreError> {
    let current = require(tx, workspace, id)?;
    if !from.contains(&current.status) {
        return Ok(CanvasChange::WrongStatus(current.status));
    }
    let stamp = match to {
        CanvasStatus::Draft => "updated_at",
        CanvasStatus::Active => "launched_at",
        CanvasStatus::Stopped => "stopped_at",
        CanvasStatus::Archived => "archived_at",
    };
    tx.execute(
        &format!("UPDATE canvases SET status = ?2, {stamp} = ?3, updated_at = ?3 WHERE id = ?1"),
        (id.0, to.as_str(), now),
    )?;
    require(tx, workspace, id).map(CanvasChange::Done)
}
