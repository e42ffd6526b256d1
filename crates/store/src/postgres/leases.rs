//! PostgreSQL implementation of [`crate::LeaseStore`]: one `INSERT … ON CONFLICT DO UPDATE`
//! whose `WHERE` admits only a free, expired or own lease. Two instances racing for one
//! lease serialize on its row: the second sees the first's commit and its `WHERE` fails.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::PgStore;

/// The columns of a lease, in [`lease_from_row`]'s order.
const COLUMNS: &str = "name, holder, acquired_at, expires_at, previous_term_ended_at";
use crate::error::StoreError;
use crate::leases::{Lease, LeaseStore};

fn lease_from_row(row: &PgRow) -> Result<Lease, sqlx::Error> {
    Ok(Lease {
        name: row.try_get(0)?,
        holder: row.try_get(1)?,
        acquired_at: row.try_get(2)?,
        expires_at: row.try_get(3)?,
        previous_term_ended_at: row.try_get(4)?,
    })
}

#[async_trait]
impl LeaseStore for PgStore {
    async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        // Every SET expression sees the old row: a renewal (own, live) keeps its term; a
        // takeover starts a new one and remembers when the old one ended.
        let row = sqlx::query(
            "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET
                 acquired_at = CASE
                     WHEN leases.holder = EXCLUDED.holder AND leases.expires_at > EXCLUDED.acquired_at
                     THEN leases.acquired_at ELSE EXCLUDED.acquired_at END,
                 previous_term_ended_at = CASE
                     WHEN leases.holder = EXCLUDED.holder AND leases.expires_at > EXCLUDED.acquired_at
                     THEN leases.previous_term_ended_at ELSE leases.expires_at END,
                 holder = EXCLUDED.holder,
                 expires_at = EXCLUDED.expires_at
             WHERE leases.holder = EXCLUDED.holder OR leases.expires_at <= EXCLUDED.acquired_at
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now)
        .bind(now.saturating_add(ttl_ms))
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE leases SET expires_at = $3 WHERE name = $1 AND holder = $2 AND expires_at > $3",
        )
        .bind(name)
        .bind(holder)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn lease(&self, name: &str) -> Result<Option<Lease>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM leases WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(lease_from_row).transpose()?)
    }

    async fn live_leases(&self, prefix: &str, now: i64) -> Result<Vec<Lease>, StoreError> {
        // left() rather than LIKE, so `_` and `%` in a prefix are taken literally.
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM leases
             WHERE left(name, char_length($1)) = $1 AND expires_at > $2
             ORDER BY name COLLATE \"C\""
        ))
        .bind(prefix)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(lease_from_row)
            .collect::<Result<Vec<_>, _>>()?)
    }
}
