//! The [`Store`] trait: everything pinsync persists goes through it, whatever the backend.

use async_trait::async_trait;

use crate::accounts::AccountStore;
use crate::canvases::CanvasStore;
use crate::connections::ConnectionStore;
use crate::consent::ConsentStore;
use crate::error::StoreError;
use crate::leases::LeaseStore;
use crate::model::{NewApiKey, UpsertSummary, UserProfile, UserUpsert, Workspace, WorkspaceId};
use crate::sync::SyncStore;

/// The storage boundary. SQLite implements it today; PostgreSQL will implement the same
/// trait and pass the same conformance suite (`tests/it/conformance.rs`).
///
/// Every method is one transaction: it either happens entirely or not at all. The methods of
/// each area live in their own trait ([`AccountStore`], [`ConnectionStore`], [`CanvasStore`], [`SyncStore`]).
#[async_trait]
pub trait Store:
    AccountStore
    + ConnectionStore
    + CanvasStore
    + SyncStore
    + LeaseStore
    + ConsentStore
    + Send
    + Sync
    + 'static
{
    /// Applies pending migrations; returns the versions applied by this call.
    async fn migrate(&self) -> Result<Vec<i64>, StoreError>;

    /// Checks that the database answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Returns the workspace with this name, creating it if it does not exist.
    async fn ensure_workspace(&self, name: &str) -> Result<Workspace, StoreError>;

    /// The workspace with this name, if any.
    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError>;

    /// Stores a new API key (hashed by the caller).
    async fn insert_api_key(&self, key: NewApiKey) -> Result<(), StoreError>;

    /// The workspace owning the un-revoked key with this SHA-256, if any.
    async fn workspace_for_api_key(
        &self,
        key_sha256: &str,
    ) -> Result<Option<WorkspaceId>, StoreError>;

    /// Creates or updates every user in `users`, all in one transaction.
    async fn upsert_users(
        &self,
        workspace: WorkspaceId,
        users: Vec<UserUpsert>,
    ) -> Result<UpsertSummary, StoreError>;

    /// One user's stored profile.
    async fn user(
        &self,
        workspace: WorkspaceId,
        external_id: &str,
    ) -> Result<Option<UserProfile>, StoreError>;

    /// How many users the workspace has.
    async fn count_users(&self, workspace: WorkspaceId) -> Result<u64, StoreError>;
}
