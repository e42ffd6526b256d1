//! The [`AccountStore`] part of the store: dashboard users (argon2 hashes), their workspaces,
//! sessions and one-time set-up links.

use async_trait::async_trait;

use crate::account_model::{DashboardUser, DashboardUserId, NewSession, Session};
use crate::error::StoreError;
use crate::model::{Workspace, WorkspaceId};

/// Dashboard users, memberships, sessions and set-up links.
///
/// Secrets never reach the store in clear: passwords arrive as argon2 PHC strings, session
/// and set-up tokens as their SHA-256. Every method is one transaction.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a dashboard user; [`StoreError::Conflict`] when the login is taken
    /// (case-insensitively).
    async fn create_dashboard_user(
        &self,
        login: &str,
        password_hash: &str,
    ) -> Result<DashboardUser, StoreError>;

    /// The user with this login (case-insensitive), if any.
    async fn dashboard_user_by_login(
        &self,
        login: &str,
    ) -> Result<Option<DashboardUser>, StoreError>;

    /// Replaces a user's password hash (e.g. `create-user` run again for the same login).
    async fn set_dashboard_password(
        &self,
        user: DashboardUserId,
        password_hash: &str,
    ) -> Result<(), StoreError>;

    /// How many dashboard users exist (none means the first-start set-up link applies).
    async fn count_dashboard_users(&self) -> Result<u64, StoreError>;

    /// Makes the user a member of the workspace; a no-op when already one.
    async fn add_workspace_member(
        &self,
        user: DashboardUserId,
        workspace: WorkspaceId,
    ) -> Result<(), StoreError>;

    /// The workspaces the user belongs to, by name.
    async fn workspaces_of(&self, user: DashboardUserId) -> Result<Vec<Workspace>, StoreError>;

    /// Stores a new session.
    async fn insert_session(&self, session: NewSession) -> Result<(), StoreError>;

    /// The session with this token hash when it has not expired at `now` (ms).
    async fn live_session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<Session>, StoreError>;

    /// Points the session at another workspace; [`StoreError::NotFound`] when the session's
    /// user is not a member of it.
    async fn switch_session_workspace(
        &self,
        token_sha256: &str,
        workspace: WorkspaceId,
    ) -> Result<(), StoreError>;

    /// Ends a session (sign-out); a no-op when it does not exist.
    async fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError>;

    /// Deletes sessions that expired before `now`; returns how many.
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError>;

    /// Stores a one-time set-up link's token hash, valid until `expires_at` (ms).
    async fn insert_setup_link(
        &self,
        token_sha256: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;

    /// Whether an unused, unexpired set-up link with this hash exists at `now`.
    async fn setup_link_is_valid(&self, token_sha256: &str, now: i64) -> Result<bool, StoreError>;

    /// Uses a set-up link and creates the first user with it, in one transaction: returns
    /// `None` (and creates nothing) when the link is unknown, used or expired.
    async fn redeem_setup_link(
        &self,
        token_sha256: &str,
        now: i64,
        login: &str,
        password_hash: &str,
    ) -> Result<Option<DashboardUser>, StoreError>;
}
