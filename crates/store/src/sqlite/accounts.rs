//! SQLite implementation of [`crate::AccountStore`]; the SQL lives in `accounts_sql.rs`.

#[path = "accounts_sql.rs"]
mod sql;

use async_trait::async_trait;

use super::SqliteStore;
use crate::AccountStore;
use crate::account_model::{DashboardUser, DashboardUserId, NewSession, Session};
use crate::error::StoreError;
use crate::model::{Workspace, WorkspaceId};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_dashboard_user(
        &self,
        login: &str,
        password_hash: &str,
    ) -> Result<DashboardUser, StoreError> {
        let (login, hash) = (login.to_owned(), password_hash.to_owned());
        self.write(move |tx| sql::insert_user(tx, &login, &hash))
            .await
    }

    async fn dashboard_user_by_login(
        &self,
        login: &str,
    ) -> Result<Option<DashboardUser>, StoreError> {
        let login = login.to_owned();
        self.read(move |conn| sql::user_by_login(conn, &login))
            .await
    }

    async fn set_dashboard_password(
        &self,
        user: DashboardUserId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let hash = password_hash.to_owned();
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE dashboard_users SET password_hash = ?1 WHERE id = ?2",
                (&hash, user.0),
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("dashboard user {}", user.0)));
            }
            Ok(())
        })
        .await
    }

    async fn count_dashboard_users(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            let count: i64 =
                conn.query_row("SELECT COUNT(*) FROM dashboard_users", [], |row| row.get(0))?;
            Ok(count.max(0) as u64)
        })
        .await
    }

    async fn add_workspace_member(
        &self,
        user: DashboardUserId,
        workspace: WorkspaceId,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO dashboard_memberships (user_id, workspace_id, created_at)
                 VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                (user.0, workspace.0, crate::now_millis()),
            )?;
            Ok(())
        })
        .await
    }

    async fn workspaces_of(&self, user: DashboardUserId) -> Result<Vec<Workspace>, StoreError> {
        self.read(move |conn| sql::workspaces_of(conn, user)).await
    }

    async fn insert_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.write(move |tx| sql::insert_session(tx, &session))
            .await
    }

    async fn live_session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        let token = token_sha256.to_owned();
        self.read(move |conn| sql::live_session(conn, &token, now))
            .await
    }

    async fn switch_session_workspace(
        &self,
        token_sha256: &str,
        workspace: WorkspaceId,
    ) -> Result<(), StoreError> {
        let token = token_sha256.to_owned();
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE dashboard_sessions SET workspace_id = ?2
                 WHERE token_sha256 = ?1 AND EXISTS (
                     SELECT 1 FROM dashboard_memberships m
                     WHERE m.user_id = dashboard_sessions.user_id AND m.workspace_id = ?2)",
                (&token, workspace.0),
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!(
                    "membership of workspace {}",
                    workspace.0
                )));
            }
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        let token = token_sha256.to_owned();
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM dashboard_sessions WHERE token_sha256 = ?1",
                [&token],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        self.write(move |tx| {
            let deleted = tx.execute(
                "DELETE FROM dashboard_sessions WHERE expires_at <= ?1",
                [now],
            )?;
            Ok(deleted as u64)
        })
        .await
    }

    async fn insert_setup_link(
        &self,
        token_sha256: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let token = token_sha256.to_owned();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO dashboard_setup_links (token_sha256, created_at, expires_at)
                 VALUES (?1, ?2, ?3)",
                (&token, crate::now_millis(), expires_at),
            )?;
            Ok(())
        })
        .await
    }

    async fn setup_link_is_valid(&self, token_sha256: &str, now: i64) -> Result<bool, StoreError> {
        let token = token_sha256.to_owned();
        self.read(move |conn| sql::setup_link_is_valid(conn, &token, now))
            .await
    }

    async fn redeem_setup_link(
        &self,
        token_sha256: &str,
        now: i64,
        login: &str,
        password_hash: &str,
    ) -> Result<Option<DashboardUser>, StoreError> {
        let (token, login, hash) = (
            token_sha256.to_owned(),
            login.to_owned(),
            password_hash.to_owned(),
        );
        self.write(move |tx| {
            let used = tx.execute(
                "UPDATE dashboard_setup_links SET used_at = ?2
                 WHERE token_sha256 = ?1 AND used_at IS NULL AND expires_at > ?2",
                (&token, now),
            )?;
            if used == 0 {
                return Ok(None);
            }
            sql::insert_user(tx, &login, &hash).map(Some)
        })
        .await
    }
}
