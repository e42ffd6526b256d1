//! SQL for connections, their ad accounts, OAuth states and proactive-refresh claims, on
//! PostgreSQL.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, Row};

use crate::connection_model::{
    Encrypted, EncryptedTokens, NewConnection, OAuthStateOutcome, StoredAdAccount,
    StoredConnection, StoredConnectionStatus,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

/// Consumes a state: the row is locked, so of two concurrent callbacks only one sees it unused.
pub(super) async fn consume_state(
    conn: &mut PgConnection,
    hash: &str,
    now: i64,
) -> Result<OAuthStateOutcome, StoreError> {
    let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT workspace_id, expires_at, consumed_at FROM oauth_states
         WHERE state_sha256 = $1 FOR UPDATE",
    )
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((workspace, expires_at, consumed_at)) = row else {
        return Ok(OAuthStateOutcome::Unknown);
    };
    if consumed_at.is_some() {
        return Ok(OAuthStateOutcome::AlreadyUsed);
    }
    sqlx::query("UPDATE oauth_states SET consumed_at = $2 WHERE state_sha256 = $1")
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    if now > expires_at {
        return Ok(OAuthStateOutcome::Expired);
    }
    Ok(OAuthStateOutcome::Valid(WorkspaceId(workspace)))
}

/// Creates or replaces the workspace's connection and merges its ad accounts, keeping the
/// row id and the selection of accounts already known.
pub(super) async fn save(
    conn: &mut PgConnection,
    new: &NewConnection,
) -> Result<StoredConnection, StoreError> {
    let now = crate::now_millis();
    let tokens = &new.tokens;
    let workspace = new.workspace_id.0;
    sqlx::query(
        "INSERT INTO pinterest_connections (
             workspace_id, pinterest_user_id, pinterest_username, access_token_enc,
             refresh_token_enc, access_token_expires_at, refresh_token_expires_at, scopes,
             status, token_generation, next_refresh_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'connected', 1, $9, $10, $10)
         ON CONFLICT (workspace_id) DO UPDATE SET
             pinterest_user_id = excluded.pinterest_user_id,
             pinterest_username = excluded.pinterest_username,
             access_token_enc = excluded.access_token_enc,
             refresh_token_enc = excluded.refresh_token_enc,
             access_token_expires_at = excluded.access_token_expires_at,
             refresh_token_expires_at = excluded.refresh_token_expires_at,
             scopes = excluded.scopes,
             status = 'connected',
             token_generation = pinterest_connections.token_generation + 1,
             next_refresh_at = excluded.next_refresh_at,
             updated_at = excluded.updated_at",
    )
    .bind(workspace)
    .bind(&new.pinterest_user_id)
    .bind(&new.pinterest_username)
    .bind(&tokens.access_token.0)
    .bind(tokens.refresh_token.as_ref().map(|t| &t.0))
    .bind(tokens.access_token_expires_at)
    .bind(tokens.refresh_token_expires_at)
    .bind(&new.scopes)
    .bind(tokens.next_refresh_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE pinterest_ad_accounts SET present = FALSE WHERE workspace_id = $1")
        .bind(workspace)
        .execute(&mut *conn)
        .await?;
    // One statement per account, in the order given, as the SQLite backend: a handful of
    // accounts, and a repeated id then updates its row instead of failing the statement.
    for account in &new.ad_accounts {
        let permissions = serde_json::to_string(&account.permissions)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO pinterest_ad_accounts
                 (workspace_id, ad_account_id, name, permissions, selected, access_lost, present)
             VALUES ($1, $2, $3, $4, $5, FALSE, TRUE)
             ON CONFLICT (workspace_id, ad_account_id) DO UPDATE SET
                 name = excluded.name, permissions = excluded.permissions,
                 access_lost = FALSE, present = TRUE",
        )
        .bind(workspace)
        .bind(&account.ad_account_id)
        .bind(&account.name)
        .bind(&permissions)
        .bind(account.selected)
        .execute(&mut *conn)
        .await?;
    }
    // Accounts the user no longer sees keep their selection but are marked lost.
    sqlx::query(
        "UPDATE pinterest_ad_accounts SET access_lost = TRUE
         WHERE workspace_id = $1 AND NOT present AND selected",
    )
    .bind(workspace)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM pinterest_ad_accounts WHERE workspace_id = $1 AND NOT present AND NOT selected",
    )
    .bind(workspace)
    .execute(&mut *conn)
    .await?;
    fetch(&mut *conn, new.workspace_id)
        .await?
        .ok_or_else(|| StoreError::Database("connection vanished after saving".into()))
}

pub(super) async fn fetch(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> Result<Option<StoredConnection>, StoreError> {
    let row = sqlx::query(
        "SELECT id, workspace_id, pinterest_user_id, pinterest_username, access_token_enc,
                refresh_token_enc, access_token_expires_at, refresh_token_expires_at, scopes,
                status, token_generation, next_refresh_at, created_at, updated_at
         FROM pinterest_connections WHERE workspace_id = $1",
    )
    .bind(workspace.0)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(connection_from_row).transpose()
}

fn connection_from_row(row: &PgRow) -> Result<StoredConnection, StoreError> {
    let encrypted = |value: Option<Vec<u8>>| value.map(Encrypted);
    let status: String = row.try_get(9)?;
    let status = StoredConnectionStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown connection status {status:?}")))?;
    Ok(StoredConnection {
        id: row.try_get(0)?,
        workspace_id: WorkspaceId(row.try_get(1)?),
        pinterest_user_id: row.try_get(2)?,
        pinterest_username: row.try_get(3)?,
        access_token: encrypted(row.try_get(4)?),
        refresh_token: encrypted(row.try_get(5)?),
        access_token_expires_at: row.try_get(6)?,
        refresh_token_expires_at: row.try_get(7)?,
        scopes: row.try_get(8)?,
        status,
        token_generation: row.try_get(10)?,
        next_refresh_at: row.try_get(11)?,
        created_at: row.try_get(12)?,
        updated_at: row.try_get(13)?,
    })
}

pub(super) async fn ad_accounts(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> Result<Vec<StoredAdAccount>, StoreError> {
    let rows: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
        "SELECT ad_account_id, name, permissions, selected, access_lost
         FROM pinterest_ad_accounts WHERE workspace_id = $1 ORDER BY ad_account_id",
    )
    .bind(workspace.0)
    .fetch_all(executor)
    .await?;
    let mut accounts = Vec::with_capacity(rows.len());
    for (ad_account_id, name, permissions, selected, access_lost) in rows {
        let permissions = serde_json::from_str(&permissions)
            .map_err(|e| StoreError::Corrupt(format!("ad account permissions: {e}")))?;
        accounts.push(StoredAdAccount {
            ad_account_id,
            name,
            permissions,
            selected,
            access_lost,
        });
    }
    Ok(accounts)
}

/// Marks exactly `ids` as selected; `NotFound` (and no change) when one is unknown.
pub(super) async fn select(
    conn: &mut PgConnection,
    workspace: WorkspaceId,
    ids: &[String],
) -> Result<Vec<StoredAdAccount>, StoreError> {
    let known = ad_accounts(&mut *conn, workspace).await?;
    for id in ids {
        if !known.iter().any(|a| &a.ad_account_id == id) {
            return Err(StoreError::NotFound(format!("ad account {id}")));
        }
    }
    sqlx::query(
        "UPDATE pinterest_ad_accounts SET selected = (ad_account_id = ANY($2::text[]))
         WHERE workspace_id = $1",
    )
    .bind(workspace.0)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    ad_accounts(&mut *conn, workspace).await
}

/// Stores refreshed tokens if the stored generation is still `expected_generation`.
pub(super) async fn replace_tokens(
    executor: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    expected_generation: i64,
    tokens: &EncryptedTokens,
) -> Result<bool, StoreError> {
    let changed = sqlx::query(
        "UPDATE pinterest_connections SET
             access_token_enc = $3, refresh_token_enc = COALESCE($4, refresh_token_enc),
             access_token_expires_at = $5,
             refresh_token_expires_at = COALESCE($6, refresh_token_expires_at),
             next_refresh_at = $7, token_generation = token_generation + 1,
             status = 'connected', updated_at = $8
         WHERE workspace_id = $1 AND token_generation = $2 AND access_token_enc IS NOT NULL",
    )
    .bind(workspace.0)
    .bind(expected_generation)
    .bind(&tokens.access_token.0)
    .bind(tokens.refresh_token.as_ref().map(|t| &t.0))
    .bind(tokens.access_token_expires_at)
    .bind(tokens.refresh_token_expires_at)
    .bind(tokens.next_refresh_at)
    .bind(crate::now_millis())
    .execute(executor)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Leases due refreshes by moving `next_refresh_at` to `lease_until`, oldest due first. Rows
/// another transaction is claiming are skipped, not waited for.
pub(super) async fn claim_due_refreshes(
    executor: impl PgExecutor<'_>,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> Result<Vec<WorkspaceId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "WITH due AS (
             SELECT id, workspace_id, next_refresh_at FROM pinterest_connections
             WHERE next_refresh_at IS NOT NULL AND next_refresh_at <= $1
               AND status = 'connected' AND refresh_token_enc IS NOT NULL
             ORDER BY next_refresh_at LIMIT $3
             FOR UPDATE SKIP LOCKED),
         claimed AS (
             UPDATE pinterest_connections c SET next_refresh_at = $2
             FROM due WHERE c.id = due.id
             RETURNING due.workspace_id, due.next_refresh_at)
         SELECT workspace_id FROM claimed ORDER BY next_refresh_at, workspace_id",
    )
    .bind(now)
    .bind(lease_until)
    .bind(i64::from(limit))
    .fetch_all(executor)
    .await?;
    Ok(ids.into_iter().map(WorkspaceId).collect())
}
