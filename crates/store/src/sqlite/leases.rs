//! SQLite implementation of [`crate::LeaseStore`]: one upsert whose `WHERE` admits only a
//! free, expired or own lease, on the single writer connection.

/// The columns of a lease, in [`lease_from_row`]'s order.
const COLUMNS: &str = "name, holder, acquired_at, expires_at, previous_term_ended_at";

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row};

use super::SqliteStore;
use crate::error::StoreError;
use crate::leases::{Lease, LeaseStore};

fn lease_from_row(row: &Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        name: row.get(0)?,
        holder: row.get(1)?,
        acquired_at: row.get(2)?,
        expires_at: row.get(3)?,
        previous_term_ended_at: row.get(4)?,
    })
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        let expires_at = now.saturating_add(ttl_ms);
        self.write(move |tx| {
            // Every SET expression sees the old row: a renewal (own, live) keeps its term; a
            // takeover starts a new one and remembers when the old one ended.
            let changed = tx.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET
                     acquired_at = CASE
                         WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.acquired_at
                         THEN leases.acquired_at ELSE excluded.acquired_at END,
                     previous_term_ended_at = CASE
                         WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.acquired_at
                         THEN leases.previous_term_ended_at ELSE leases.expires_at END,
                     holder = excluded.holder,
                     expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at",
                (&name, &holder, now, expires_at),
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str, now: i64) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            let ended = tx.execute(
                "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND holder = ?2 AND expires_at > ?3",
                (&name, &holder, now),
            )?;
            Ok(ended == 1)
        })
        .await
    }

    async fn lease(&self, name: &str) -> Result<Option<Lease>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| {
            let lease = conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM leases WHERE name = ?1"),
                    [&name],
                    lease_from_row,
                )
                .optional()?;
            Ok(lease)
        })
        .await
    }

    async fn live_leases(&self, prefix: &str, now: i64) -> Result<Vec<Lease>, StoreError> {
        let prefix = prefix.to_owned();
        self.read(move |conn| {
            // substr rather than LIKE, so `_` and `%` in a prefix are taken literally.
            let mut statement = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM leases
                 WHERE substr(name, 1, length(?1)) = ?1 AND expires_at > ?2
                 ORDER BY name"
            ))?;
            let leases = statement
                .query_map((&prefix, now), lease_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(leases)
        })
        .await
    }
}
