//! The SQL of the account area on PostgreSQL, as functions over an executor.
//!
//! Logins compare by `lower(login COLLATE "C")`, the expression of the unique index: ASCII
//! case folding only, as SQLite's `COLLATE NOCASE`.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, Row};

use crate::account_model::{DashboardUser, DashboardUserId, NewSession, Session};
use crate::error::StoreError;
use crate::model::{Workspace, WorkspaceId};

fn user_from_row(row: &PgRow) -> Result<DashboardUser, sqlx::Error> {
    Ok(DashboardUser {
        id: DashboardUserId(row.try_get(0)?),
        login: row.try_get(1)?,
        password_hash: row.try_get(2)?,
        created_at: row.try_get(3)?,
    })
}

/// Creates a user; [`StoreError::Conflict`] when the login is taken whatever its case.
pub(super) async fn insert_user(
    executor: impl PgExecutor<'_>,
    login: &str,
    password_hash: &str,
) -> Result<DashboardUser, StoreError> {
    let created_at = crate::now_millis();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO dashboard_users (login, password_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(login)
    .bind(password_hash)
    .bind(created_at)
    .fetch_optional(executor)
    .await?;
    let Some(id) = id else {
        return Err(StoreError::Conflict(format!("dashboard user {login:?}")));
    };
    Ok(DashboardUser {
        id: DashboardUserId(id),
        login: login.to_owned(),
        password_hash: password_hash.to_owned(),
        created_at,
    })
}

pub(super) async fn user_by_login(
    executor: impl PgExecutor<'_>,
    login: &str,
) -> Result<Option<DashboardUser>, StoreError> {
    let row = sqlx::query(
        "SELECT id, login, password_hash, created_at FROM dashboard_users
         WHERE lower(login COLLATE \"C\") = lower($1 COLLATE \"C\")",
    )
    .bind(login)
    .fetch_optional(executor)
    .await?;
    Ok(row.as_ref().map(user_from_row).transpose()?)
}

pub(super) async fn set_password(
    executor: impl PgExecutor<'_>,
    user: DashboardUserId,
    password_hash: &str,
) -> Result<(), StoreError> {
    let changed = sqlx::query("UPDATE dashboard_users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user.0)
        .execute(executor)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound(format!("dashboard user {}", user.0)));
    }
    Ok(())
}

pub(super) async fn workspaces_of(
    executor: impl PgExecutor<'_>,
    user: DashboardUserId,
) -> Result<Vec<Workspace>, StoreError> {
    let rows = sqlx::query(
        "SELECT w.id, w.name, w.created_at FROM workspaces w
         JOIN dashboard_memberships m ON m.workspace_id = w.id
         WHERE m.user_id = $1 ORDER BY w.name",
    )
    .bind(user.0)
    .fetch_all(executor)
    .await?;
    let mut workspaces = Vec::with_capacity(rows.len());
    for row in &rows {
        workspaces.push(Workspace {
            id: WorkspaceId(row.try_get(0)?),
            name: row.try_get(1)?,
            created_at: row.try_get(2)?,
        });
    }
    Ok(workspaces)
}

pub(super) async fn insert_session(
    executor: impl PgExecutor<'_>,
    session: &NewSession,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO dashboard_sessions
             (token_sha256, user_id, workspace_id, csrf_token, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&session.token_sha256)
    .bind(session.user_id.0)
    .bind(session.workspace_id.0)
    .bind(&session.csrf_token)
    .bind(crate::now_millis())
    .bind(session.expires_at)
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn live_session(
    executor: impl PgExecutor<'_>,
    token_sha256: &str,
    now: i64,
) -> Result<Option<Session>, StoreError> {
    let row = sqlx::query(
        "SELECT s.user_id, u.login, s.workspace_id, s.csrf_token, s.expires_at
         FROM dashboard_sessions s JOIN dashboard_users u ON u.id = s.user_id
         WHERE s.token_sha256 = $1 AND s.expires_at > $2",
    )
    .bind(token_sha256)
    .bind(now)
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Session {
        user_id: DashboardUserId(row.try_get(0)?),
        login: row.try_get(1)?,
        workspace_id: WorkspaceId(row.try_get(2)?),
        csrf_token: row.try_get(3)?,
        expires_at: row.try_get(4)?,
    }))
}

/// Points the session at a workspace of its user; `NotFound` when the user is no member.
pub(super) async fn switch_session_workspace(
    executor: impl PgExecutor<'_>,
    token_sha256: &str,
    workspace: WorkspaceId,
) -> Result<(), StoreError> {
    let changed = sqlx::query(
        "UPDATE dashboard_sessions SET workspace_id = $2
         WHERE token_sha256 = $1 AND EXISTS (
             SELECT 1 FROM dashboard_memberships m
             WHERE m.user_id = dashboard_sessions.user_id AND m.workspace_id = $2)",
    )
    .bind(token_sha256)
    .bind(workspace.0)
    .execute(executor)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound(format!(
            "membership of workspace {}",
            workspace.0
        )));
    }
    Ok(())
}

pub(super) async fn setup_link_is_valid(
    executor: impl PgExecutor<'_>,
    token_sha256: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let found: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM dashboard_setup_links
         WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_sha256)
    .bind(now)
    .fetch_optional(executor)
    .await?;
    Ok(found.is_some())
}

/// Uses the link and creates the first user with it; `None` when the link is unknown, used
/// or expired. A login conflict fails the whole transaction, leaving the link unused.
pub(super) async fn redeem_setup_link(
    conn: &mut PgConnection,
    token_sha256: &str,
    now: i64,
    login: &str,
    password_hash: &str,
) -> Result<Option<DashboardUser>, StoreError> {
    let used = sqlx::query(
        "UPDATE dashboard_setup_links SET used_at = $2
         WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_sha256)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if used == 0 {
        return Ok(None);
    }
    insert_user(&mut *conn, login, password_hash)
        .await
        .map(Some)
}
