//! Embedded PostgreSQL migrations, applied in order, each in its own transaction.
//!
//! Every transaction first takes a transaction-scoped advisory lock, so N instances starting
//! together apply each migration once: the others wait, then find it recorded. (A
//! transaction-scoped lock, unlike a session lock, also holds behind a transaction-mode
//! pooler such as PgBouncer.)

use sqlx::{Acquire, Executor, PgConnection, PgPool};

use crate::error::StoreError;

/// The advisory lock key of migrations (`pinsync` in ASCII, as a number).
const MIGRATION_LOCK_KEY: i64 = 0x70_69_6e_73_79_6e_63;

/// Every migration, by version. Append only: never edit one that has shipped. The numbering
/// follows the SQLite migrations (`migrations/sqlite/`), one file per area.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        include_str!("../../migrations/postgres/0002_connections.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/0003_canvas_engine.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/0004_sync_pipeline.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_dashboard.sql"),
    ),
    (6, include_str!("../../migrations/postgres/0006_leases.sql")),
    (
        7,
        include_str!("../../migrations/postgres/0007_consent_removals.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_drain_tuning.sql"),
    ),
];

/// Applies the migrations the database has not seen; returns the versions applied now.
pub(super) async fn apply(pool: &PgPool) -> Result<Vec<i64>, StoreError> {
    let mut versions: Vec<(i64, &'static str)> = MIGRATIONS.to_vec();
    versions.sort_by_key(|&(version, _)| version);
    let mut conn = pool.acquire().await?;
    let mut applied = Vec::new();
    for (version, sql) in versions {
        let mut tx = conn.begin().await?;
        let fresh = apply_one(&mut tx, version, sql).await?;
        tx.commit().await?;
        if fresh {
            applied.push(version);
        }
    }
    Ok(applied)
}

/// Applies one migration under the migration lock unless it is recorded already; returns
/// whether it applied it.
async fn apply_one(conn: &mut PgConnection, version: i64, sql: &str) -> Result<bool, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    // Under the lock: concurrent `CREATE TABLE IF NOT EXISTS` can otherwise collide. Its
    // "already exists, skipping" notice is kept out of the logs.
    conn.execute("SET LOCAL client_min_messages TO warning")
        .await?;
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     BIGINT PRIMARY KEY,
             applied_at  BIGINT NOT NULL
         )",
    )
    .await?;
    let done: Option<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *conn)
            .await?;
    if done.is_some() {
        return Ok(false);
    }
    // Without arguments, a query runs over the simple protocol: several statements at once.
    conn.execute(sql).await.map_err(|e| StoreError::Migration {
        version,
        message: e.to_string(),
    })?;
    sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
        .bind(version)
        .bind(crate::now_millis())
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
