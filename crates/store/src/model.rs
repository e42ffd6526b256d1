//! The plain records the store reads and writes. Backends map rows to these and back.

use serde::{Deserialize, Serialize};

/// A workspace's primary key. Every tenant-owned record belongs to exactly one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkspaceId(pub i64);

/// A workspace: the tenant boundary of pinsync. API keys and users see only their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: i64,
}

/// The name of the workspace that exists after the first start.
pub const DEFAULT_WORKSPACE: &str = "default";

/// An API key as stored: only the SHA-256 of the key, plus a short prefix to recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub workspace_id: WorkspaceId,
    pub key_sha256: String,
    pub key_prefix: String,
}

/// How one identifier of a user was understood: its hash when valid, else why not.
///
/// `status` is `"valid"` or a reason code's snake_case name (`missing`, `invalid_format`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoredIdentifier {
    pub sha256: Option<String>,
    pub status: String,
}

impl StoredIdentifier {
    /// The stored form of a valid identifier.
    pub fn valid(sha256: String) -> Self {
        Self {
            sha256: Some(sha256),
            status: "valid".into(),
        }
    }

    /// The stored form of an identifier that could not be used, with the reason's name.
    pub fn rejected(reason: &str) -> Self {
        Self {
            sha256: None,
            status: reason.into(),
        }
    }

    /// No value was ever given for this identifier.
    pub fn missing() -> Self {
        Self::rejected("missing")
    }
}

/// A change to one field of a user: leave it as stored, clear it, or set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FieldUpdate<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// One user's upsert, already parsed and hashed by the caller.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserUpsert {
    pub external_id: String,
    pub email: FieldUpdate<StoredIdentifier>,
    pub gaid: FieldUpdate<StoredIdentifier>,
    pub idfa: FieldUpdate<StoredIdentifier>,
    pub ad_tracking_enabled: FieldUpdate<bool>,
    /// Custom attributes to merge into the profile; a JSON `null` removes the attribute.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// What an upsert of many users did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct UpsertSummary {
    pub created: u64,
    pub updated: u64,
}

/// A stored user profile: hashed identifiers with their parse outcome, consent, attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    pub workspace_id: WorkspaceId,
    pub external_id: String,
    pub email: StoredIdentifier,
    pub gaid: StoredIdentifier,
    pub idfa: StoredIdentifier,
    pub ad_tracking_enabled: bool,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub created_at: i64,
    pub updated_at: i64,
}
