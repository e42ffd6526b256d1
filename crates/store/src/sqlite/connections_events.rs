//! SQL for notification events, webhook configuration and deliveries, and pending audiences.

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::connection_model::{
    DueDelivery, Encrypted, NewEvent, PendingAudience, StoredEvent, StoredWebhooks,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

pub(super) fn record(
    tx: &Transaction<'_>,
    event: &NewEvent,
    now: i64,
) -> Result<StoredEvent, StoreError> {
    let payload = event.payload.to_string();
    tx.execute(
        "INSERT INTO events (workspace_id, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
        (event.workspace_id.0, &event.kind, &payload, now),
    )?;
    let id = tx.last_insert_rowid();
    if let Some(webhooks) = webhooks(tx, event.workspace_id)? {
        for url in &webhooks.urls {
            tx.execute(
                "INSERT INTO webhook_deliveries (event_id, workspace_id, url, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4)",
                (id, event.workspace_id.0, url, now),
            )?;
        }
    }
    Ok(StoredEvent {
        id,
        workspace_id: event.workspace_id,
        kind: event.kind.clone(),
        payload: event.payload.clone(),
        created_at: now,
    })
}

fn event_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, i64, String, String, i64)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn to_event(
    (id, workspace, kind, payload, created_at): (i64, i64, String, String, i64),
) -> Result<StoredEvent, StoreError> {
    let payload = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("event {id} payload: {e}")))?;
    Ok(StoredEvent {
        id,
        workspace_id: WorkspaceId(workspace),
        kind,
        payload,
        created_at,
    })
}

pub(super) fn list(
    conn: &Connection,
    workspace: WorkspaceId,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT id, workspace_id, kind, payload, created_at FROM events
         WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows: Vec<_> = statement
        .query_map((workspace.0, limit), event_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(to_event).collect()
}

pub(super) fn set_webhooks(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    webhooks: &StoredWebhooks,
    now: i64,
) -> Result<(), StoreError> {
    let urls =
        serde_json::to_string(&webhooks.urls).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO webhook_configs (workspace_id, urls, secret_enc, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id) DO UPDATE SET
             urls = excluded.urls, secret_enc = excluded.secret_enc, updated_at = excluded.updated_at",
        (workspace.0, &urls, &webhooks.secret.0, now),
    )?;
    Ok(())
}

pub(super) fn webhooks(
    conn: &Connection,
    workspace: WorkspaceId,
) -> Result<Option<StoredWebhooks>, StoreError> {
    let row: Option<(String, Vec<u8>)> = conn
        .query_row(
            "SELECT urls, secret_enc FROM webhook_configs WHERE workspace_id = ?1",
            [workspace.0],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
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

pub(super) fn claim_due_deliveries(
    tx: &Transaction<'_>,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> Result<Vec<DueDelivery>, StoreError> {
    let mut statement = tx.prepare(
        "SELECT d.id, d.workspace_id, d.url, d.attempts,
                e.id, e.workspace_id, e.kind, e.payload, e.created_at
         FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ?1
         ORDER BY d.next_attempt_at LIMIT ?2",
    )?;
    let rows: Vec<_> = statement
        .query_map((now, limit), |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, u32>(3)?,
                (
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                    row.get(8)?,
                ),
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut due = Vec::with_capacity(rows.len());
    for (id, workspace, url, attempts, event) in rows {
        tx.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1",
            (id, lease_until),
        )?;
        due.push(DueDelivery {
            id,
            workspace_id: WorkspaceId(workspace),
            url,
            attempts,
            event: to_event(event)?,
        });
    }
    Ok(due)
}

pub(super) fn insert_pending_audience(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    ad_account_id: &str,
    name: &str,
    now: i64,
) -> Result<PendingAudience, StoreError> {
    tx.execute(
        "INSERT INTO pending_audiences (workspace_id, ad_account_id, name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        (workspace.0, ad_account_id, name, now),
    )?;
    Ok(PendingAudience {
        id: tx.last_insert_rowid(),
        workspace_id: workspace,
        ad_account_id: ad_account_id.to_owned(),
        name: name.to_owned(),
        customer_list_id: None,
        audience_id: None,
    })
}

pub(super) fn pending_audience(
    conn: &Connection,
    workspace: WorkspaceId,
    id: i64,
) -> Result<Option<PendingAudience>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, ad_account_id, name, customer_list_id, audience_id
             FROM pending_audiences WHERE workspace_id = ?1 AND id = ?2",
            (workspace.0, id),
            |row| {
                Ok(PendingAudience {
                    id: row.get(0)?,
                    workspace_id: workspace,
                    ad_account_id: row.get(1)?,
                    name: row.get(2)?,
                    customer_list_id: row.get(3)?,
                    audience_id: row.get(4)?,
                })
            },
        )
        .optional()?)
}
