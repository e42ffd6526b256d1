//! Records of the connection area: Pinterest connections with their encrypted tokens, ad
//! accounts, OAuth states, notification events, webhook configuration and deliveries, and
//! audiences waiting for their first records.

use serde::{Deserialize, Serialize};

use crate::model::WorkspaceId;

/// Ciphertext of a secret (`nonce || ciphertext`, AES-256-GCM). The store never sees plain
/// tokens: callers encrypt before writing and decrypt after reading.
#[derive(Clone, PartialEq, Eq)]
pub struct Encrypted(pub Vec<u8>);

impl std::fmt::Debug for Encrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encrypted({} bytes)", self.0.len())
    }
}

/// Where a connection stands, as stored. `expiring_soon` and per-account `access_lost` are
/// derived by the connection service from expiry times and account flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredConnectionStatus {
    Connected,
    InvalidToken,
    Disconnected,
}

impl StoredConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::InvalidToken => "invalid_token",
            Self::Disconnected => "disconnected",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "connected" => Some(Self::Connected),
            "invalid_token" => Some(Self::InvalidToken),
            "disconnected" => Some(Self::Disconnected),
            _ => None,
        }
    }
}

/// The tokens of a connection, encrypted, with their expiry times (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedTokens {
    pub access_token: Encrypted,
    pub refresh_token: Option<Encrypted>,
    pub access_token_expires_at: i64,
    pub refresh_token_expires_at: Option<i64>,
    /// When the background loop should refresh proactively (ms since the epoch).
    pub next_refresh_at: i64,
}

/// An ad account as the connection last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAdAccount {
    pub ad_account_id: String,
    pub name: String,
    /// The user's `BusinessAccessRole`s on the account (`OWNER`, `ADMIN`, …).
    pub permissions: Vec<String>,
    /// Chosen by the user for syncing.
    pub selected: bool,
    /// Pinterest answered 403 for it: the user lost access.
    pub access_lost: bool,
}

/// What a successful OAuth callback saves: who connected, their tokens and ad accounts.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub workspace_id: WorkspaceId,
    pub pinterest_user_id: String,
    pub pinterest_username: String,
    pub scopes: String,
    pub tokens: EncryptedTokens,
    /// The accounts the user can see now; `selected` is kept from before for accounts that
    /// were already known, so a reconnect keeps the choice.
    pub ad_accounts: Vec<StoredAdAccount>,
}

/// A stored connection (one per workspace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnection {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub pinterest_user_id: String,
    pub pinterest_username: String,
    pub access_token: Option<Encrypted>,
    pub refresh_token: Option<Encrypted>,
    pub access_token_expires_at: Option<i64>,
    pub refresh_token_expires_at: Option<i64>,
    pub scopes: String,
    pub status: StoredConnectionStatus,
    /// Incremented on every token change: a refresh writes only if it read the latest.
    pub token_generation: i64,
    pub next_refresh_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What consuming an OAuth `state` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthStateOutcome {
    /// Valid and now consumed: it belongs to this workspace.
    Valid(WorkspaceId),
    /// It was consumed before.
    AlreadyUsed,
    /// It expired before being used.
    Expired,
    /// pinsync never issued it.
    Unknown,
}

/// A notification event to record (and deliver to the workspace's webhooks).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub workspace_id: WorkspaceId,
    /// e.g. `connection.invalid_token`, `connection.expiring_soon`, `ad_account.access_lost`.
    pub kind: String,
    pub payload: serde_json::Value,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub created_at: i64,
}

/// A workspace's webhook configuration; the signing secret stays encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWebhooks {
    pub urls: Vec<String>,
    pub secret: Encrypted,
}

/// A webhook delivery that is due, claimed with a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub url: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub event: StoredEvent,
}

/// An audience the user named whose customer list could not be created empty: it waits for
/// the first batch of records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingAudience {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub ad_account_id: String,
    pub name: String,
    pub customer_list_id: Option<String>,
    pub audience_id: Option<String>,
}
