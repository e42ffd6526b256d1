//! SQLite implementation of [`crate::ConnectionStore`]: the trait methods, each one
//! transaction, delegating to the SQL in `connections_tokens.rs` and `connections_events.rs`.

#[path = "connections_events.rs"]
mod events;
#[path = "connections_tokens.rs"]
mod tokens;

use async_trait::async_trait;

use super::SqliteStore;
use crate::ConnectionStore;
use crate::connection_model::{
    DueDelivery, EncryptedTokens, NewConnection, NewEvent, OAuthStateOutcome, PendingAudience,
    StoredAdAccount, StoredConnection, StoredConnectionStatus, StoredEvent, StoredWebhooks,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn insert_oauth_state(
        &self,
        workspace: WorkspaceId,
        state_sha256: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let hash = state_sha256.to_owned();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO oauth_states (state_sha256, workspace_id, expires_at) VALUES (?1, ?2, ?3)",
                (&hash, workspace.0, expires_at),
            )?;
            Ok(())
        })
        .await
    }

    async fn consume_oauth_state(
        &self,
        state_sha256: &str,
        now: i64,
    ) -> Result<OAuthStateOutcome, StoreError> {
        let hash = state_sha256.to_owned();
        self.write(move |tx| tokens::consume_state(tx, &hash, now))
            .await
    }

    async fn save_connection(
        &self,
        connection: NewConnection,
    ) -> Result<StoredConnection, StoreError> {
        self.write(move |tx| tokens::save(tx, &connection)).await
    }

    async fn connection(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<StoredConnection>, StoreError> {
        self.read(move |conn| tokens::fetch(conn, workspace)).await
    }

    async fn ad_accounts(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<StoredAdAccount>, StoreError> {
        self.read(move |conn| tokens::ad_accounts(conn, workspace))
            .await
    }

    async fn select_ad_accounts(
        &self,
        workspace: WorkspaceId,
        ad_account_ids: Vec<String>,
    ) -> Result<Vec<StoredAdAccount>, StoreError> {
        self.write(move |tx| tokens::select(tx, workspace, &ad_account_ids))
            .await
    }

    async fn set_ad_account_access_lost(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        access_lost: bool,
    ) -> Result<bool, StoreError> {
        let id = ad_account_id.to_owned();
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE pinterest_ad_accounts SET access_lost = ?3
                 WHERE workspace_id = ?1 AND ad_account_id = ?2 AND access_lost <> ?3",
                (workspace.0, &id, access_lost),
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn replace_tokens(
        &self,
        workspace: WorkspaceId,
        expected_generation: i64,
        tokens: EncryptedTokens,
    ) -> Result<bool, StoreError> {
        self.write(move |tx| tokens::replace_tokens(tx, workspace, expected_generation, &tokens))
            .await
    }

    async fn set_connection_status(
        &self,
        workspace: WorkspaceId,
        status: StoredConnectionStatus,
    ) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE pinterest_connections SET status = ?2, updated_at = ?3
                 WHERE workspace_id = ?1 AND status <> ?2",
                (workspace.0, status.as_str(), crate::now_millis()),
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn disconnect(&self, workspace: WorkspaceId) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE pinterest_connections
                 SET access_token_enc = NULL, refresh_token_enc = NULL, status = 'disconnected',
                     next_refresh_at = NULL, token_generation = token_generation + 1, updated_at = ?2
                 WHERE workspace_id = ?1",
                (workspace.0, crate::now_millis()),
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn claim_due_refreshes(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<WorkspaceId>, StoreError> {
        self.write(move |tx| tokens::claim_due_refreshes(tx, now, lease_until, limit))
            .await
    }

    async fn record_event(&self, event: NewEvent, now: i64) -> Result<StoredEvent, StoreError> {
        self.write(move |tx| events::record(tx, &event, now)).await
    }

    async fn events(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(move |conn| events::list(conn, workspace, limit))
            .await
    }

    async fn set_webhooks(
        &self,
        workspace: WorkspaceId,
        webhooks: StoredWebhooks,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(move |tx| events::set_webhooks(tx, workspace, &webhooks, now))
            .await
    }

    async fn webhooks(&self, workspace: WorkspaceId) -> Result<Option<StoredWebhooks>, StoreError> {
        self.read(move |conn| events::webhooks(conn, workspace))
            .await
    }

    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        self.write(move |tx| events::claim_due_deliveries(tx, now, lease_until, limit))
            .await
    }

    async fn complete_delivery(&self, delivery_id: i64, now: i64) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "UPDATE webhook_deliveries
                 SET delivered_at = ?2, next_attempt_at = NULL, attempts = attempts + 1
                 WHERE id = ?1",
                (delivery_id, now),
            )?;
            Ok(())
        })
        .await
    }

    async fn fail_delivery(
        &self,
        delivery_id: i64,
        attempts: u32,
        next_attempt_at: Option<i64>,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.write(move |tx| {
            let failed_at = next_attempt_at.is_none().then_some(now);
            tx.execute(
                "UPDATE webhook_deliveries
                 SET attempts = ?2, next_attempt_at = ?3, last_error = ?4, failed_at = ?5
                 WHERE id = ?1",
                (delivery_id, attempts, next_attempt_at, &error, failed_at),
            )?;
            Ok(())
        })
        .await
    }

    async fn insert_pending_audience(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        name: &str,
        now: i64,
    ) -> Result<PendingAudience, StoreError> {
        let (ad_account_id, name) = (ad_account_id.to_owned(), name.to_owned());
        self.write(move |tx| {
            events::insert_pending_audience(tx, workspace, &ad_account_id, &name, now)
        })
        .await
    }

    async fn pending_audience(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<Option<PendingAudience>, StoreError> {
        self.read(move |conn| events::pending_audience(conn, workspace, id))
            .await
    }

    async fn complete_pending_audience(
        &self,
        workspace: WorkspaceId,
        id: i64,
        customer_list_id: &str,
        audience_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let (list, audience) = (customer_list_id.to_owned(), audience_id.to_owned());
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE pending_audiences SET customer_list_id = ?3, audience_id = ?4, updated_at = ?5
                 WHERE workspace_id = ?1 AND id = ?2",
                (workspace.0, id, &list, &audience, now),
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("pending audience {id}")));
            }
            Ok(())
        })
        .await
    }
}
