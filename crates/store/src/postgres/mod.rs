//! The PostgreSQL backend: several pinsync instances share one database.
//!
//! sqlx's `postgres` driver only (its SQLite driver would link a second libsqlite3 beside
//! rusqlite's), with runtime queries bound by position: no compile-time database. Every
//! [`Store`] method is one transaction: a single statement on the pool, or
//! [`PgStore::in_transaction`] when it takes several. Times are BIGINT milliseconds and JSON
//! is TEXT, as in the SQLite schema, so both backends hold the same values.

mod accounts;
mod canvases;
mod connections;
mod consent;
pub mod databases;
mod leases;
mod migrations;
mod sync;
mod users;
mod workspaces;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::StoreError;
use crate::model::{NewApiKey, UpsertSummary, UserProfile, UserUpsert, Workspace, WorkspaceId};
use crate::store::Store;

/// How many connections a [`PgStore`] opens at most unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// How long a caller waits for a free pooled connection before the call fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The future a transaction's work returns; it borrows the transaction's connection.
pub(crate) type TxFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// The PostgreSQL implementation of [`Store`]. Cloning shares the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connect options hold the password: show only the pool's size.
        f.debug_struct("PgStore")
            .field("connections", &self.pool.size())
            .finish()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`) with
    /// at most [`DEFAULT_MAX_CONNECTIONS`] connections. Does not migrate: call
    /// [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connects to the database at `url` with at most `max_connections` pooled connections.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Database(format!("invalid PostgreSQL URL: {e}")))?;
        Self::connect_options(options, max_connections).await
    }

    /// Connects with explicit options (e.g. a URL's options with another database name).
    pub async fn connect_options(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.application_name("pinsync"))
            .await
            .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(Self { pool })
    }

    /// The connection pool, for single statements (each is its own transaction).
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `work` in one transaction: committed when it returns `Ok`, rolled back otherwise
    /// (also when the future is dropped half-way).
    ///
    /// The work is a closure returning a boxed future so that it may borrow the connection:
    /// `store.in_transaction(move |tx| Box::pin(async move { ... })).await`.
    pub(crate) async fn in_transaction<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> FnOnce(&'c mut PgConnection) -> TxFuture<'c, T> + Send,
    {
        let mut tx = self.pool.begin().await?;
        let value = work(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        migrations::apply(&self.pool).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn ensure_workspace(&self, name: &str) -> Result<Workspace, StoreError> {
        workspaces::ensure(&self.pool, name).await
    }

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        workspaces::by_name(&self.pool, name).await
    }

    async fn insert_api_key(&self, key: NewApiKey) -> Result<(), StoreError> {
        workspaces::insert_key(&self.pool, &key).await
    }

    async fn workspace_for_api_key(
        &self,
        key_sha256: &str,
    ) -> Result<Option<WorkspaceId>, StoreError> {
        workspaces::for_key(&self.pool, key_sha256).await
    }

    async fn upsert_users(
        &self,
        workspace: WorkspaceId,
        users: Vec<UserUpsert>,
    ) -> Result<UpsertSummary, StoreError> {
        self.in_transaction(move |tx| Box::pin(users::upsert(tx, workspace, users)))
            .await
    }

    async fn user(
        &self,
        workspace: WorkspaceId,
        external_id: &str,
    ) -> Result<Option<UserProfile>, StoreError> {
        users::fetch(&self.pool, workspace, external_id).await
    }

    async fn count_users(&self, workspace: WorkspaceId) -> Result<u64, StoreError> {
        users::count(&self.pool, workspace).await
    }
}
