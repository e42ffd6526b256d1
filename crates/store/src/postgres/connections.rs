//! PostgreSQL implementation of [`crate::ConnectionStore`]: the trait methods, each one
//! transaction, delegating to the SQL in `connections_tokens.rs` and `connections_events.rs`.

#[path = "connections_events.rs"]
mod events;
#[path = "connections_tokens.rs"]
mod tokens;

use async_trait::async_trait;

use super::PgStore;
use crate::ConnectionStore;
use crate::connection_model::{
    DueDelivery, EncryptedTokens, NewConnection, NewEvent, OAuthStateOutcome, PendingAudience,
    StoredAdAccount, StoredConnection, StoredConnectionStatus, StoredEvent, StoredWebhooks,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

#[async_trait]
impl ConnectionStore for PgStore {
    async fn insert_oauth_state(
        &self,
        workspace: WorkspaceId,
        state_sha256: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_states (state_sha256, workspace_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(state_sha256)
        .bind(workspace.0)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn consume_oauth_state(
        &self,
        state_sha256: &str,
        now: i64,
    ) -> Result<OAuthStateOutcome, StoreError> {
        let hash = state_sha256.to_owned();
        self.in_transaction(move |tx| {
            Box::pin(async move { tokens::consume_state(tx, &hash, now).await })
        })
        .await
    }

    async fn save_connection(
        &self,
        connection: NewConnection,
    ) -> Result<StoredConnection, StoreError> {
        self.in_transaction(move |tx| Box::pin(async move { tokens::save(tx, &connection).await }))
            .await
    }

    async fn connection(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Option<StoredConnection>, StoreError> {
        tokens::fetch(self.pool(), workspace).await
    }

    async fn ad_accounts(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<StoredAdAccount>, StoreError> {
        tokens::ad_accounts(self.pool(), workspace).await
    }

    async fn select_ad_accounts(
        &self,
        workspace: WorkspaceId,
        ad_account_ids: Vec<String>,
    ) -> Result<Vec<StoredAdAccount>, StoreError> {
        self.in_transaction(move |tx| {
            Box::pin(async move { tokens::select(tx, workspace, &ad_account_ids).await })
        })
        .await
    }

    async fn set_ad_account_access_lost(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        access_lost: bool,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE pinterest_ad_accounts SET access_lost = $3
             WHERE workspace_id = $1 AND ad_account_id = $2 AND access_lost <> $3",
        )
        .bind(workspace.0)
        .bind(ad_account_id)
        .bind(access_lost)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed > 0)
    }

    async fn replace_tokens(
        &self,
        workspace: WorkspaceId,
        expected_generation: i64,
        tokens: EncryptedTokens,
    ) -> Result<bool, StoreError> {
        tokens::replace_tokens(self.pool(), workspace, expected_generation, &tokens).await
    }

    async fn set_connection_status(
        &self,
        workspace: WorkspaceId,
        status: StoredConnectionStatus,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE pinterest_connections SET status = $2, updated_at = $3
             WHERE workspace_id = $1 AND status <> $2",
        )
        .bind(workspace.0)
        .bind(status.as_str())
        .bind(crate::now_millis())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed > 0)
    }

    async fn disconnect(&self, workspace: WorkspaceId) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE pinterest_connections
             SET access_token_enc = NULL, refresh_token_enc = NULL, status = 'disconnected',
                 next_refresh_at = NULL, token_generation = token_generation + 1, updated_at = $2
             WHERE workspace_id = $1",
        )
        .bind(workspace.0)
        .bind(crate::now_millis())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(changed > 0)
    }

    async fn claim_due_refreshes(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<WorkspaceId>, StoreError> {
        tokens::claim_due_refreshes(self.pool(), now, lease_until, limit).await
    }

    async fn record_event(&self, event: NewEvent, now: i64) -> Result<StoredEvent, StoreError> {
        events::record(self.pool(), &event, now).await
    }

    async fn events(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        events::list(self.pool(), workspace, limit).await
    }

    async fn set_webhooks(
        &self,
        workspace: WorkspaceId,
        webhooks: StoredWebhooks,
        now: i64,
    ) -> Result<(), StoreError> {
        events::set_webhooks(self.pool(), workspace, &webhooks, now).await
    }

    async fn webhooks(&self, workspace: WorkspaceId) -> Result<Option<StoredWebhooks>, StoreError> {
        events::webhooks(self.pool(), workspace).await
    }

    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        events::claim_due_deliveries(self.pool(), now, lease_until, limit).await
    }

    async fn complete_delivery(&self, delivery_id: i64, now: i64) -> Result<(), StoreError> {
        events::complete_delivery(self.pool(), delivery_id, now).await
    }

    async fn fail_delivery(
        &self,
        delivery_id: i64,
        attempts: u32,
        next_attempt_at: Option<i64>,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        events::fail_delivery(
            self.pool(),
            delivery_id,
            attempts,
            next_attempt_at,
            error,
            now,
        )
        .await
    }

    async fn insert_pending_audience(
        &self,
        workspace: WorkspaceId,
        ad_account_id: &str,
        name: &str,
        now: i64,
    ) -> Result<PendingAudience, StoreError> {
        events::insert_pending_audience(self.pool(), workspace, ad_account_id, name, now).await
    }

    async fn pending_audience(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<Option<PendingAudience>, StoreError> {
        events::pending_audience(self.pool(), workspace, id).await
    }

    async fn complete_pending_audience(
        &self,
        workspace: WorkspaceId,
        id: i64,
        customer_list_id: &str,
        audience_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        events::complete_pending_audience(
            self.pool(),
            workspace,
            id,
            customer_list_id,
            audience_id,
            now,
        )
        .await
    }
}
