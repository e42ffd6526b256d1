//! Embedded SQLite migrations, applied in order, each in its own transaction.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::StoreError;

/// Every migration, by version. Append only: never edit one that has shipped.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        include_str!("../../migrations/sqlite/0002_connections.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_canvas_engine.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_sync_pipeline.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_dashboard.sql"),
    ),
    (6, include_str!("../../migrations/sqlite/0006_leases.sql")),
    (
        7,
        include_str!("../../migrations/sqlite/0007_consent_removals.sql"),
    ),
    (
        8,
        include_str!("../../migrations/sqlite/0008_drain_tuning.sql"),
    ),
];

/// Applies the migrations the database has not seen; returns the versions applied now.
pub(super) fn apply(conn: &mut Connection) -> Result<Vec<i64>, StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )?;
    let mut applied = Vec::new();
    for &(version, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done: Option<i64> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |row| row.get(0),
            )
            .optional()?;
        if done.is_some() {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| StoreError::Migration {
            version,
            message: e.to_string(),
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, crate::now_millis()),
        )?;
        tx.commit()?;
        applied.push(version);
    }
    Ok(applied)
}
