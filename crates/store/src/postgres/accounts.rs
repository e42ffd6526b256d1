//! PostgreSQL implementation of [`crate::AccountStore`]; the SQL lives in `accounts_sql.rs`.

#[path = "accounts_sql.rs"]
mod sql;

use async_trait::async_trait;

use super::PgStore;
use crate::AccountStore;
use crate::account_model::{DashboardUser, DashboardUserId, NewSession, Session};
use crate::error::StoreError;
use crate::model::{Workspace, WorkspaceId};

#[async_trait]
impl AccountStore for PgStore {
    async fn create_dashboard_user(
        &self,
        login: &str,
        password_hash: &str,
    ) -> Result<DashboardUser, StoreError> {
        sql::insert_user(self.pool(), login, password_hash).await
    }

    async fn dashboard_user_by_login(
        &self,
        login: &str,
    ) -> Result<Option<DashboardUser>, StoreError> {
        sql::user_by_login(self.pool(), login).await
    }

    async fn set_dashboard_password(
        &self,
        user: DashboardUserId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        sql::set_password(self.pool(), user, password_hash).await
    }

    async fn count_dashboard_users(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dashboard_users")
            .fetch_one(self.pool())
            .await?;
        Ok(count.max(0) as u64)
    }

    async fn add_workspace_member(
        &self,
        user: DashboardUserId,
        workspace: WorkspaceId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dashboard_memberships (user_id, workspace_id, created_at)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user.0)
        .bind(workspace.0)
        .bind(crate::now_millis())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn workspaces_of(&self, user: DashboardUserId) -> Result<Vec<Workspace>, StoreError> {
        sql::workspaces_of(self.pool(), user).await
    }

    async fn insert_session(&self, session: NewSession) -> Result<(), StoreError> {
        sql::insert_session(self.pool(), &session).await
    }

    async fn live_session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        sql::live_session(self.pool(), token_sha256, now).await
    }

    async fn switch_session_workspace(
        &self,
        token_sha256: &str,
        workspace: WorkspaceId,
    ) -> Result<(), StoreError> {
        sql::switch_session_workspace(self.pool(), token_sha256, workspace).await
    }

    async fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM dashboard_sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let deleted = sqlx::query("DELETE FROM dashboard_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(deleted)
    }

    async fn insert_setup_link(
        &self,
        token_sha256: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dashboard_setup_links (token_sha256, created_at, expires_at)
             VALUES ($1, $2, $3)",
        )
        .bind(token_sha256)
        .bind(crate::now_millis())
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn setup_link_is_valid(&self, token_sha256: &str, now: i64) -> Result<bool, StoreError> {
        sql::setup_link_is_valid(self.pool(), token_sha256, now).await
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
        self.in_transaction(move |tx| {
            Box::pin(async move { sql::redeem_setup_link(tx, &token, now, &login, &hash).await })
        })
        .await
    }
}
