//! Workspaces and API keys in PostgreSQL.

use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, PgPool, Row};

use crate::error::StoreError;
use crate::model::{NewApiKey, Workspace, WorkspaceId};

/// How many times `ensure` re-reads a workspace another transaction created meanwhile.
const ENSURE_ATTEMPTS: usize = 3;

fn workspace_from_row(row: &PgRow) -> Result<Workspace, sqlx::Error> {
    Ok(Workspace {
        id: WorkspaceId(row.try_get(0)?),
        name: row.try_get(1)?,
        created_at: row.try_get(2)?,
    })
}

/// Inserts the workspace unless it exists, and returns it, in one statement.
///
/// When another transaction inserts the same name concurrently, the insert waits for it and
/// does nothing, but the statement's snapshot predates that commit and sees no row: the
/// next attempt (a new statement, a new snapshot) does.
pub(super) async fn ensure(pool: &PgPool, name: &str) -> Result<Workspace, StoreError> {
    for _ in 0..ENSURE_ATTEMPTS {
        let row = sqlx::query(
            "WITH inserted AS (
                 INSERT INTO workspaces (name, created_at) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING
                 RETURNING id, name, created_at)
             SELECT id, name, created_at FROM inserted
             UNION ALL
             SELECT id, name, created_at FROM workspaces WHERE name = $1
             LIMIT 1",
        )
        .bind(name)
        .bind(crate::now_millis())
        .fetch_optional(pool)
        .await?;
        if let Some(row) = row {
            return Ok(workspace_from_row(&row)?);
        }
    }
    Err(StoreError::Database(format!(
        "workspace {name:?} neither inserted nor found"
    )))
}

pub(super) async fn by_name(
    executor: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<Workspace>, StoreError> {
    let row = sqlx::query("SELECT id, name, created_at FROM workspaces WHERE name = $1")
        .bind(name)
        .fetch_optional(executor)
        .await?;
    Ok(row.as_ref().map(workspace_from_row).transpose()?)
}

pub(super) async fn insert_key(
    executor: impl PgExecutor<'_>,
    key: &NewApiKey,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_keys (workspace_id, key_sha256, key_prefix, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(key.workspace_id.0)
    .bind(&key.key_sha256)
    .bind(&key.key_prefix)
    .bind(crate::now_millis())
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn for_key(
    executor: impl PgExecutor<'_>,
    key_sha256: &str,
) -> Result<Option<WorkspaceId>, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT workspace_id FROM api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL",
    )
    .bind(key_sha256)
    .fetch_optional(executor)
    .await?;
    Ok(id.map(WorkspaceId))
}
