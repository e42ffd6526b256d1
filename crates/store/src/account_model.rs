//! The records of the dashboard's account area: people who sign in, their sessions and the
//! one-time set-up links printed at first start.

use crate::model::WorkspaceId;

/// A dashboard user's primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DashboardUserId(pub i64);

/// A person who signs in to the dashboard. `login` is a name chosen by the admin, compared
/// case-insensitively; the password is kept only as an argon2 PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct DashboardUser {
    pub id: DashboardUserId,
    pub login: String,
    pub password_hash: String,
    pub created_at: i64,
}

impl std::fmt::Debug for DashboardUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardUser")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// A session to store: only the SHA-256 of the cookie value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token_sha256: String,
    pub user_id: DashboardUserId,
    /// The workspace the session is looking at (switchable among the user's memberships).
    pub workspace_id: WorkspaceId,
    /// The per-session token every dashboard form must carry.
    pub csrf_token: String,
    /// Milliseconds since the epoch after which the session is no longer valid.
    pub expires_at: i64,
}

/// A live session with the user it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: DashboardUserId,
    pub login: String,
    pub workspace_id: WorkspaceId,
    pub csrf_token: String,
    pub expires_at: i64,
}
