//! SQL for notification events, webhook configuration and deliveries, and pending audiences,
//! on PostgreSQL.

use sqlx::{PgExecutor, Row};

use crate::connection_model::{
    DueDelivery, Encrypted, NewEvent, PendingAudience, StoredEvent, StoredWebhooks,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

/// Records the event and, in the same statement, one due delivery per configured URL.
pub(super) async fn record(
    executor: impl PgExecutor<'_>,
    event: &NewEvent,
    now: i64,
) -> Result<StoredEvent, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "WITH event AS (
             INSERT INTO events (workspace_id, kind, payload, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id),
         deliveries AS (
             INSERT INTO webhook_deliveries (event_id, workspace_id, url, next_attempt_at)
             SELECT event.id, $1, urls.url, $4
             FROM event, webhook_configs c,
                  json_array_elements_text(c.urls::json) WITH ORDINALITY AS urls(url, n)
             WHERE c.workspace_id = $1
             ORDER BY urls.n)
         SELECT id FROM event",
    )
    .bind(event.workspace_id.0)
    .bind(&event.kind)
    .bind(event.payload.to_string())
    .bind(now)
    .fetch_one(executor)
    .await?;
    Ok(StoredEvent {
        id,
        workspace_id: event.workspace_id,
        kind: event.kind.clone(),
        payload: event.payload.clone(),
        created_at: now,
    })
}

fn to_event(
    id: i64,
    workspace: i64,
    kind: String,
    payload: &str,
    created_at: i64,
) -> Result<StoredEvent, StoreError> {
    let payload = serde_json::from_str(payload)
        .map_err(|e| StoreError::Corrupt(format!("event {id} payload: {e}")))?;
    Ok(StoredEvent {
        id,
        workspace_id: WorkspaceId(workspace),
        kind,
        payload,
        created_at,
    })
}

pub(super) async fn list(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, workspace_id, kind, payload, created_at FROM events
         WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(workspace.0)
    .bind(i64::from(limit))
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|(id, workspace, kind, payload, created_at)| {
            to_event(id, workspace, kind, &payload, created_at)
        })
        .collect()
}

pub(super) async fn set_webhooks(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    webhooks: &StoredWebhooks,
    now: i64,
) -> Result<(), StoreError> {
    let urls =
        serde_json::to_string(&webhooks.urls).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO webhook_configs (workspace_id, urls, secret_enc, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id) DO UPDATE SET
             urls = excluded.urls, secret_enc = excluded.secret_enc, updated_at = excluded.updated_at",
    )
    .bind(workspace.0)
    .bind(&urls)
    .bind(&webhooks.secret.0)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn webhooks(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> Result<Option<StoredWebhooks>, StoreError> {
    let row: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT urls, secret_enc FROM webhook_configs WHERE workspace_id = $1")
            .bind(workspace.0)
            .fetch_optional(executor)
            .await?;
    row.map(|(urls, secret)| {
        let urls = serde_json::from_str(&urls)
            .map_err(|e| StoreError::Corrupt(format!("webhook urls: {e}")))?;
        Ok(StoredWebhooks {
            urls,
            secret: Encrypted(secret),
        })
    })
    .transpose()
}

/// Leases due deliveries (their `next_attempt_at` moves to `lease_until`), earliest first;
/// rows another instance is claiming are skipped.
pub(super) async fn claim_due_deliveries(
    executor: impl PgExecutor<'_>,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> Result<Vec<DueDelivery>, StoreError> {
    let rows = sqlx::query(
        "WITH due AS (
             SELECT id, next_attempt_at FROM webhook_deliveries
             WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $3
             FOR UPDATE SKIP LOCKED),
         claimed AS (
             UPDATE webhook_deliveries d SET next_attempt_at = $2
             FROM due WHERE d.id = due.id
             RETURNING d.id, d.event_id, d.workspace_id, d.url, d.attempts,
                       due.next_attempt_at AS due_at)
         SELECT c.id, c.workspace_id, c.url, c.attempts,
                e.id, e.workspace_id, e.kind, e.payload, e.created_at
         FROM claimed c JOIN events e ON e.id = c.event_id
         ORDER BY c.due_at, c.id",
    )
    .bind(now)
    .bind(lease_until)
    .bind(i64::from(limit))
    .fetch_all(executor)
    .await?;
    let mut due = Vec::with_capacity(rows.len());
    for row in &rows {
        let attempts: i64 = row.try_get(3)?;
        let payload: String = row.try_get(7)?;
        due.push(DueDelivery {
            id: row.try_get(0)?,
            workspace_id: WorkspaceId(row.try_get(1)?),
            url: row.try_get(2)?,
            attempts: u32::try_from(attempts)
                .map_err(|_| StoreError::Corrupt(format!("delivery attempts {attempts}")))?,
            event: to_event(
                row.try_get(4)?,
                row.try_get(5)?,
                row.try_get(6)?,
                &payload,
                row.try_get(8)?,
            )?,
        });
    }
    Ok(due)
}

pub(super) async fn complete_delivery(
    executor: impl PgExecutor<'_>,
    delivery_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_deliveries
         SET delivered_at = $2, next_attempt_at = NULL, attempts = attempts + 1
         WHERE id = $1",
    )
    .bind(delivery_id)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn fail_delivery(
    executor: impl PgExecutor<'_>,
    delivery_id: i64,
    attempts: u32,
    next_attempt_at: Option<i64>,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    let failed_at = next_attempt_at.is_none().then_some(now);
    sqlx::query(
        "UPDATE webhook_deliveries
         SET attempts = $2, next_attempt_at = $3, last_error = $4, failed_at = $5
         WHERE id = $1",
    )
    .bind(delivery_id)
    .bind(i64::from(attempts))
    .bind(next_attempt_at)
    .bind(error)
    .bind(failed_at)
    .execute(executor)
    .await?;
    Ok(())
}

pub(super) async fn insert_pending_audience(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    ad_account_id: &str,
    name: &str,
    now: i64,
) -> Result<PendingAudience, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO pending_audiences (workspace_id, ad_account_id, name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(workspace.0)
    .bind(ad_account_id)
    .bind(name)
    .bind(now)
    .fetch_one(executor)
    .await?;
    Ok(PendingAudience {
        id,
        workspace_id: workspace,
        ad_account_id: ad_account_id.to_owned(),
        name: name.to_owned(),
        customer_list_id: None,
        audience_id: None,
    })
}

pub(super) async fn pending_audience(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    id: i64,
) -> Result<Option<PendingAudience>, StoreError> {
    let row = sqlx::query(
        "SELECT id, ad_account_id, name, customer_list_id, audience_id
         FROM pending_audiences WHERE workspace_id = $1 AND id = $2",
    )
    .bind(workspace.0)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(PendingAudience {
        id: row.try_get(0)?,
        workspace_id: workspace,
        ad_account_id: row.try_get(1)?,
        name: row.try_get(2)?,
        customer_list_id: row.try_get(3)?,
        audience_id: row.try_get(4)?,
    }))
}

pub(super) async fn complete_pending_audience(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    id: i64,
    customer_list_id: &str,
    audience_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let changed = sqlx::query(
        "UPDATE pending_audiences SET customer_list_id = $3, audience_id = $4, updated_at = $5
         WHERE workspace_id = $1 AND id = $2",
    )
    .bind(workspace.0)
    .bind(id)
    .bind(customer_list_id)
    .bind(audience_id)
    .bind(now)
    .execute(executor)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound(format!("pending audience {id}")));
    }
    Ok(())
}
