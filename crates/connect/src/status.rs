//! Connection statuses and the human messages that say what to do about each, and the
//! JSON views of a connection and its ad accounts that the API answers with.

use pinsync_store::{StoredAdAccount, StoredConnection, StoredConnectionStatus};
use serde::Serialize;

/// How long before the refresh token expires a connection counts as `expiring_soon`.
pub const EXPIRING_SOON_MS: i64 = 7 * 24 * 3600 * 1000;

pub const MESSAGE_CONNECTED: &str = "Pinterest is connected.";
pub const MESSAGE_EXPIRING_SOON: &str = "Pinterest's authorization expires within 7 days: disconnect and reconnect Pinterest to renew it.";
pub const MESSAGE_INVALID_TOKEN: &str =
    "Pinterest rejected pinsync's access token: disconnect and reconnect Pinterest.";
pub const MESSAGE_DISCONNECTED: &str =
    "Pinterest is not connected: connect it with GET /api/v1/partners/pinterest/connect.";
pub const MESSAGE_ACCESS_LOST: &str = "pinsync lost access to this ad account: disconnect and reconnect Pinterest; make sure the Business Hub admin gave the app access to this ad account.";

/// The status of a connection as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    ExpiringSoon,
    InvalidToken,
    Disconnected,
}

impl ConnectionStatus {
    /// Derives the status from what is stored and the current time (ms).
    pub fn of(connection: Option<&StoredConnection>, now: i64) -> Self {
        let Some(connection) = connection else {
            return Self::Disconnected;
        };
        match connection.status {
            StoredConnectionStatus::Disconnected => Self::Disconnected,
            StoredConnectionStatus::InvalidToken => Self::InvalidToken,
            StoredConnectionStatus::Connected => match connection.refresh_token_expires_at {
                Some(expires) if expires - now <= EXPIRING_SOON_MS => Self::ExpiringSoon,
                _ => Self::Connected,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::ExpiringSoon => "expiring_soon",
            Self::InvalidToken => "invalid_token",
            Self::Disconnected => "disconnected",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Connected => MESSAGE_CONNECTED,
            Self::ExpiringSoon => MESSAGE_EXPIRING_SOON,
            Self::InvalidToken => MESSAGE_INVALID_TOKEN,
            Self::Disconnected => MESSAGE_DISCONNECTED,
        }
    }

    /// Whether calls to Pinterest can be made with the connection.
    pub fn is_usable(self) -> bool {
        matches!(self, Self::Connected | Self::ExpiringSoon)
    }
}

/// The Pinterest user who connected.
#[derive(Debug, Clone, Serialize)]
pub struct PinterestUserView {
    pub id: String,
    pub username: String,
}

/// One ad account with the user's roles and its status.
#[derive(Debug, Clone, Serialize)]
pub struct AdAccountView {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub selected: bool,
    /// `ok` or `access_lost`.
    pub status: &'static str,
    pub message: Option<&'static str>,
}

impl From<&StoredAdAccount> for AdAccountView {
    fn from(account: &StoredAdAccount) -> Self {
        Self {
            id: account.ad_account_id.clone(),
            name: account.name.clone(),
            roles: account.permissions.clone(),
            selected: account.selected,
            status: if account.access_lost {
                "access_lost"
            } else {
                "ok"
            },
            message: account.access_lost.then_some(MESSAGE_ACCESS_LOST),
        }
    }
}

/// `GET /api/v1/partners/pinterest`: everything about the workspace's connection.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionView {
    /// Whether pinsync talks to its built-in sandbox rather than the real Pinterest.
    pub sandbox: bool,
    pub status: ConnectionStatus,
    pub message: &'static str,
    pub pinterest_user: Option<PinterestUserView>,
    /// Access-token expiry, ms since the epoch.
    pub token_expires_at: Option<i64>,
    /// Refresh-token expiry, ms since the epoch.
    pub refresh_token_expires_at: Option<i64>,
    pub scopes: Vec<String>,
    pub ad_accounts: Vec<AdAccountView>,
}

impl ConnectionView {
    pub fn build(
        sandbox: bool,
        connection: Option<&StoredConnection>,
        accounts: &[StoredAdAccount],
        now: i64,
    ) -> Self {
        let status = ConnectionStatus::of(connection, now);
        let live = connection.filter(|_| status != ConnectionStatus::Disconnected);
        Self {
            sandbox,
            status,
            message: status.message(),
            pinterest_user: connection.map(|c| PinterestUserView {
                id: c.pinterest_user_id.clone(),
                username: c.pinterest_username.clone(),
            }),
            token_expires_at: live.and_then(|c| c.access_token_expires_at),
            refresh_token_expires_at: live.and_then(|c| c.refresh_token_expires_at),
            scopes: live
                .map(|c| {
                    c.scopes
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            ad_accounts: accounts.iter().map(AdAccountView::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinsync_store::WorkspaceId;

    fn stored(status: StoredConnectionStatus, refresh_expires: Option<i64>) -> StoredConnection {
        StoredConnection {
            id: 1,
            workspace_id: WorkspaceId(1),
            pinterest_user_id: "1".into(),
            pinterest_username: "u".into(),
            access_token: None,
            refresh_token: None,
            access_token_expires_at: None,
            refresh_token_expires_at: refresh_expires,
            scopes: String::new(),
            status,
            token_generation: 1,
            next_refresh_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_refresh_token_within_seven_days_of_expiry_is_expiring_soon() {
        let now = 1_000_000_000;
        let table = [
            (
                Some(now + EXPIRING_SOON_MS + 1),
                ConnectionStatus::Connected,
            ),
            (Some(now + EXPIRING_SOON_MS), ConnectionStatus::ExpiringSoon),
            (Some(now + 1), ConnectionStatus::ExpiringSoon),
            (None, ConnectionStatus::Connected),
        ];
        for (expires, expected) in table {
            let connection = stored(StoredConnectionStatus::Connected, expires);
            assert_eq!(ConnectionStatus::of(Some(&connection), now), expected);
        }
    }

    #[test]
    fn stored_invalid_and_missing_connections_keep_their_status() {
        let invalid = stored(StoredConnectionStatus::InvalidToken, None);
        assert_eq!(
            ConnectionStatus::of(Some(&invalid), 0),
            ConnectionStatus::InvalidToken
        );
        assert_eq!(
            ConnectionStatus::of(None, 0),
            ConnectionStatus::Disconnected
        );
        assert!(MESSAGE_ACCESS_LOST.contains("disconnect and reconnect Pinterest; make sure the Business Hub admin gave the app access to this ad account"));
    }
}
