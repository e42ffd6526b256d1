//! SQL for connections, their ad accounts, OAuth states and proactive-refresh claims.

use rusqlite::{Connection, OptionalExtension, Row, Transaction};

use crate::connection_model::{
    Encrypted, EncryptedTokens, NewConnection, OAuthStateOutcome, StoredAdAccount,
    StoredConnection, StoredConnectionStatus,
};
use crate::error::StoreError;
use crate::model::WorkspaceId;

pub(super) fn consume_state(
    tx: &Transaction<'_>,
    hash: &str,
    now: i64,
) -> Result<OAuthStateOutcome, StoreError> {
    let row: Option<(i64, i64, Option<i64>)> = tx
        .query_row(
            "SELECT workspace_id, expires_at, consumed_at FROM oauth_states WHERE state_sha256 = ?1",
            [hash],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((workspace, expires_at, consumed_at)) = row else {
        return Ok(OAuthStateOutcome::Unknown);
    };
    if consumed_at.is_some() {
        return Ok(OAuthStateOutcome::AlreadyUsed);
    }
    tx.execute(
        "UPDATE oauth_states SET consumed_at = ?2 WHERE state_sha256 = ?1",
        (hash, now),
    )?;
    if now > expires_at {
        return Ok(OAuthStateOutcome::Expired);
    }
    Ok(OAuthStateOutcome::Valid(WorkspaceId(workspace)))
}

pub(super) fn save(
    tx: &Transaction<'_>,
    new: &NewConnection,
) -> Result<StoredConnection, StoreError> {
    let now = crate::now_millis();
    let tokens = &new.tokens;
    tx.execute(
        "INSERT INTO pinterest_connections (
             workspace_id, pinterest_user_id, pinterest_username, access_token_enc,
             refresh_token_enc, access_token_expires_at, refresh_token_expires_at, scopes,
             status, token_generation, next_refresh_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'connected', 1, ?9, ?10, ?10)
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
        rusqlite::params![
            new.workspace_id.0,
            new.pinterest_user_id,
            new.pinterest_username,
            tokens.access_token.0,
            tokens.refresh_token.as_ref().map(|t| &t.0),
            tokens.access_token_expires_at,
            tokens.refresh_token_expires_at,
            new.scopes,
            tokens.next_refresh_at,
            now,
        ],
    )?;
    tx.execute(
        "UPDATE pinterest_ad_accounts SET present = 0 WHERE workspace_id = ?1",
        [new.workspace_id.0],
    )?;
    for account in &new.ad_accounts {
        let permissions = serde_json::to_string(&account.permissions)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.execute(
            "INSERT INTO pinterest_ad_accounts
                 (workspace_id, ad_account_id, name, permissions, selected, access_lost, present)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 1)
             ON CONFLICT (workspace_id, ad_account_id) DO UPDATE SET
                 name = excluded.name, permissions = excluded.permissions,
                 access_lost = 0, present = 1",
            (
                new.workspace_id.0,
                &account.ad_account_id,
                &account.name,
                &permissions,
                account.selected,
            ),
        )?;
    }
    // Accounts the user no longer sees keep their selection but are marked lost.
    tx.execute(
        "UPDATE pinterest_ad_accounts SET access_lost = 1
         WHERE workspace_id = ?1 AND present = 0 AND selected = 1",
        [new.workspace_id.0],
    )?;
    tx.execute(
        "DELETE FROM pinterest_ad_accounts WHERE workspace_id = ?1 AND present = 0 AND selected = 0",
        [new.workspace_id.0],
    )?;
    fetch(tx, new.workspace_id)?
        .ok_or_else(|| StoreError::Database("connection vanished after saving".into()))
}

pub(super) fn fetch(
    conn: &Connection,
    workspace: WorkspaceId,
) -> Result<Option<StoredConnection>, StoreError> {
    let row = conn
        .query_row(
            "SELECT id, workspace_id, pinterest_user_id, pinterest_username, access_token_enc,
                    refresh_token_enc, access_token_expires_at, refresh_token_expires_at, scopes,
                    status, token_generation, next_refresh_at, created_at, updated_at
             FROM pinterest_connections WHERE workspace_id = ?1",
            [workspace.0],
            connection_row,
        )
        .optional()?;
    row.map(|(connection, status)| {
        let status = StoredConnectionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown connection status {status:?}")))?;
        Ok(StoredConnection {
            status,
            ..connection
        })
    })
    .transpose()
}

fn connection_row(row: &Row<'_>) -> rusqlite::Result<(StoredConnection, String)> {
    let encrypted = |value: Option<Vec<u8>>| value.map(Encrypted);
    Ok((
        StoredConnection {
            id: row.get(0)?,
            workspace_id: WorkspaceId(row.get(1)?),
            pinterest_user_id: row.get(2)?,
            pinterest_username: row.get(3)?,
            access_token: encrypted(row.get(4)?),
            refresh_token: encrypted(row.get(5)?),
            access_token_expires_at: row.get(6)?,
            refresh_token_expires_at: row.get(7)?,
            scopes: row.get(8)?,
            status: StoredConnectionStatus::Disconnected,
            token_generation: row.get(10)?,
            next_refresh_at: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        },
        row.get(9)?,
    ))
}

pub(super) fn ad_accounts(
    conn: &Connection,
    workspace: WorkspaceId,
) -> Result<Vec<StoredAdAccount>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT ad_account_id, name, permissions, selected, access_lost
         FROM pinterest_ad_accounts WHERE workspace_id = ?1 ORDER BY ad_account_id",
    )?;
    let rows = statement.query_map([workspace.0], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, bool>(3)?,
            row.get::<_, bool>(4)?,
        ))
    })?;
    let mut accounts = Vec::new();
    for row in rows {
        let (ad_account_id, name, permissions, selected, access_lost) = row?;
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

pub(super) fn select(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    ids: &[String],
) -> Result<Vec<StoredAdAccount>, StoreError> {
    let known = ad_accounts(tx, workspace)?;
    for id in ids {
        if !known.iter().any(|a| &a.ad_account_id == id) {
            return Err(StoreError::NotFound(format!("ad account {id}")));
        }
    }
    tx.execute(
        "UPDATE pinterest_ad_accounts SET selected = 0 WHERE workspace_id = ?1",
        [workspace.0],
    )?;
    for id in ids {
        tx.execute(
            "UPDATE pinterest_ad_accounts SET selected = 1 WHERE workspace_id = ?1 AND ad_account_id = ?2",
            (workspace.0, id),
        )?;
    }
    ad_accounts(tx, workspace)
}

pub(super) fn replace_tokens(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    expected_generation: i64,
    tokens: &EncryptedTokens,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE pinterest_connections SET
             access_token_enc = ?3, refresh_token_enc = COALESCE(?4, refresh_token_enc),
             access_token_expires_at = ?5,
             refresh_token_expires_at = COALESCE(?6, refresh_token_expires_at),
             next_refresh_at = ?7, token_generation = token_generation + 1,
             status = 'connected', updated_at = ?8
         WHERE workspace_id = ?1 AND token_generation = ?2 AND access_token_enc IS NOT NULL",
        rusqlite::params![
            workspace.0,
            expected_generation,
            tokens.access_token.0,
            tokens.refresh_token.as_ref().map(|t| &t.0),
            tokens.access_token_expires_at,
            tokens.refresh_token_expires_at,
            tokens.next_refresh_at,
            crate::now_millis(),
        ],
    )?;
    Ok(changed > 0)
}

pub(super) fn claim_due_refreshes(
    tx: &Transaction<'_>,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> Result<Vec<WorkspaceId>, StoreError> {
    let mut statement = tx.prepare(
        "SELECT workspace_id FROM pinterest_connections
         WHERE next_refresh_at IS NOT NULL AND next_refresh_at <= ?1
           AND status = 'connected' AND refresh_token_enc IS NOT NULL
         ORDER BY next_refresh_at LIMIT ?2",
    )?;
    let ids: Vec<i64> = statement
        .query_map((now, limit), |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        tx.execute(
            "UPDATE pinterest_connections SET next_refresh_at = ?2 WHERE workspace_id = ?1",
            (id, lease_until),
        )?;
    }
    Ok(ids.into_iter().map(WorkspaceId).collect())
}
