//! The [`ConnectionStore`] part of the store: Pinterest connections (encrypted tokens, OAuth
//! state, ad accounts), notification events, webhooks and their deliveries, pending audiences.

use async_trait::async_trait;

use crate::connection_model::{
    DueDelivery, EncryptedTokens, NewConnection, NewEvent, OAuthStateOutcome, PendingAudience,
    StoredAdAccount, StoredConnection, StoredConnectionStatus, StoredEvent, StoredWebhooks,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

/// Pinterest connections and notification events. Times are milliseconds since the epoch.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Remembers an issued OAuth `state` (by its SHA-256) for `workspace` until `expires_at`.
    async fn insert_oauth_state(
        &self,
        workspace: WorkspaceId,
        state_sha256: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;

    /// Consumes a `state` atomically: only the first call at or before expiry is `Valid`.
    async fn consume_oauth_state(
        &self,
        state_sha256: &str,
        now: i64,
    ) -> Result<OAuthStateOutcome, StoreError>;

    /// Creates or replaces the workspace's connection (tokens, user, ad accounts), keeping
    /// the row id and the selection of accounts that were already known.
    async fn save_connection(
        &self,
        connection: NewConnection,
    ) -> Result<StoredConnection, StoreError>;

    /// The workspace's connection, if it ever connected.
    async fn connection(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<StoredConnection>, StoreError>;

    /// The connection's ad accounts that Pinterest listed at the last connect.
    async fn ad_accounts(&self, workspace: WorkspaceId)
    -> Result<Vec<StoredAdAccount>, StoreError>;

    /// Marks exactly `ad_account_ids` as selected; `NotFound` names an unknown id.
    async fn select_ad_accounts(
        &self,
        workspace: WorkspaceId,
        ad_account_ids: Vec<String>,
    ) -> Result<Vec<StoredAdAccount>, StoreError>;

    /// Sets or clears an account's `access_lost`; returns whether the flag changed.
    async fn set_ad_account_access_lost(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        access_lost: bool,
    ) -> Result<bool, StoreError>;

    /// Stores refreshed tokens (access and rotated refresh token in one transaction) if the
    /// stored generation is still `expected_generation`; returns whether it wrote.
    async fn replace_tokens(
        &self,
        workspace: WorkspaceId,
        expected_generation: i64,
        tokens: EncryptedTokens,
    ) -> Result<bool, StoreError>;

    /// Sets the connection's status; returns whether it changed.
    async fn set_connection_status(
        &self,
        workspace: WorkspaceId,
        status: StoredConnectionStatus,
    ) -> Result<bool, StoreError>;

    /// Destroys the tokens and marks the connection `disconnected`; returns whether there was one.
    async fn disconnect(&self, workspace: WorkspaceId) -> Result<bool, StoreError>;

    /// Claims connections whose proactive refresh is due: their `next_refresh_at` moves to
    /// `lease_until`, so a crashed worker's claim expires by itself.
    async fn claim_due_refreshes(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<WorkspaceId>, StoreError>;

    /// Records an event and, in the same transaction, one delivery per configured webhook URL.
    async fn record_event(&self, event: NewEvent, now: i64) -> Result<StoredEvent, StoreError>;

    /// The workspace's most recent events, newest first.
    async fn events(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Sets the workspace's webhook URLs and (encrypted) signing secret.
    async fn set_webhooks(
        &self,
        workspace: WorkspaceId,
        webhooks: StoredWebhooks,
        now: i64,
    ) -> Result<(), StoreError>;

    /// The workspace's webhook configuration.
    async fn webhooks(&self, workspace: WorkspaceId) -> Result<Option<StoredWebhooks>, StoreError>;

    /// Claims due deliveries, pushing their `next_attempt_at` to `lease_until`.
    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// A delivery succeeded.
    async fn complete_delivery(&self, delivery_id: i64, now: i64) -> Result<(), StoreError>;

    /// A delivery failed: store the attempt count and the next attempt, or give up when
    /// `next_attempt_at` is `None`.
    async fn fail_delivery(
        &self,
        delivery_id: i64,
        attempts: u32,
        next_attempt_at: Option<i64>,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Keeps an audience as `pending_creation` until its first records arrive.
    async fn insert_pending_audience(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        name: &str,
        now: i64,
    ) -> Result<PendingAudience, StoreError>;

    /// A pending audience of the workspace.
    async fn pending_audience(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<Option<PendingAudience>, StoreError>;

    /// Records the Pinterest ids once list and audience exist.
    async fn complete_pending_audience(
        &self,
        workspace: WorkspaceId,
        id: i64,
        customer_list_id: &str,
        audience_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;
}
