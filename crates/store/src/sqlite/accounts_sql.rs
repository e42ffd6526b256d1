//! The SQL of the account area, as functions over a connection or transaction.

use rusqlite::{Connection, OptionalExtension, Row, Transaction};

use crate::account_model::{DashboardUser, DashboardUserId, NewSession, Session};
use crate::error::StoreError;
use crate::model::{Workspace, WorkspaceId};

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<DashboardUser> {
    Ok(DashboardUser {
        id: DashboardUserId(row.get(0)?),
        login: row.get(1)?,
        password_hash: row.get(2)?,
        created_at: row.get(3)?,
    })
}

pub(super) fn insert_user(
    tx: &Transaction<'_>,
    login: &str,
    password_hash: &str,
) -> Result<DashboardUser, StoreError> {
    let created_at = crate::now_millis();
    let inserted = tx.execute(
        "INSERT INTO dashboard_users (login, password_hash, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (login) DO NOTHING",
        (login, password_hash, created_at),
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("dashboard user {login:?}")));
    }
    Ok(DashboardUser {
        id: DashboardUserId(tx.last_insert_rowid()),
        login: login.to_owned(),
        password_hash: password_hash.to_owned(),
        created_at,
    })
}

pub(super) fn user_by_login(
    conn: &Connection,
    login: &str,
) -> Result<Option<DashboardUser>, StoreError> {
    let user = conn
        .query_row(
            "SELECT id, login, password_hash, created_at FROM dashboard_users WHERE login = ?1",
            [login],
            user_from_row,
        )
        .optional()?;
    Ok(user)
}

pub(super) fn workspaces_of(
    conn: &Connection,
    user: DashboardUserId,
) -> Result<Vec<Workspace>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT w.id, w.name, w.created_at FROM workspaces w
         JOIN dashboard_memberships m ON m.workspace_id = w.id
         WHERE m.user_id = ?1 ORDER BY w.name",
    )?;
    let rows = statement.query_map([user.0], |row| {
        Ok(Workspace {
            id: WorkspaceId(row.get(0)?),
            name: row.get(1)?,
            created_at: row.get(2)?,
        })
    })?;
    let mut workspaces = Vec::new();
    for row in rows {
        workspaces.push(row?);
    }
    Ok(workspaces)
}

pub(super) fn insert_session(tx: &Transaction<'_>, session: &NewSession) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO dashboard_sessions
             (token_sha256, user_id, workspace_id, csrf_token, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        (
            &session.token_sha256,
            session.user_id.0,
            session.workspace_id.0,
            &session.csrf_token,
            crate::now_millis(),
            session.expires_at,
        ),
    )?;
    Ok(())
}

pub(super) fn live_session(
    conn: &Connection,
    token_sha256: &str,
    now: i64,
) -> Result<Option<Session>, StoreError> {
    let session = conn
        .query_row(
            "SELECT s.user_id, u.login, s.workspace_id, s.csrf_token, s.expires_at
             FROM dashboard_sessions s JOIN dashboard_users u ON u.id = s.user_id
             WHERE s.token_sha256 = ?1 AND s.expires_at > ?2",
            (token_sha256, now),
            |row| {
                Ok(Session {
                    user_id: DashboardUserId(row.get(0)?),
                    login: row.get(1)?,
                    workspace_id: WorkspaceId(row.get(2)?),
                    csrf_token: row.get(3)?,
                    expires_at: row.get(4)?,
                })
            },
        )
        .optional()?;
    Ok(session)
}

pub(super) fn setup_link_is_valid(
    conn: &Connection,
    token_sha256: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let found = conn
        .query_row(
            "SELECT 1 FROM dashboard_setup_links
             WHERE token_sha256 = ?1 AND used_at IS NULL AND expires_at > ?2",
            (token_sha256, now),
            |_| Ok(()),
        )
        .optional()?;
    Ok(found.is_some())
}
