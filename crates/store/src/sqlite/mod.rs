//! The SQLite backend: one file in the data directory, WAL mode, `synchronous=FULL`.
//!
//! rusqlite is synchronous, so every call runs on tokio's blocking pool. Writes go through a
//! single writer connection and open their transactions with `BEGIN IMMEDIATE` (a deferred
//! transaction that reads then writes fails with `SQLITE_BUSY` without waiting); reads use a
//! small pool of reader connections, which WAL lets run beside the writer.

mod accounts;
mod canvases;
mod connections;
mod consent;
mod leases;
mod migrations;
mod sync;
mod users;
mod workspaces;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::StoreError;
use crate::model::{NewApiKey, UpsertSummary, UserProfile, UserUpsert, Workspace, WorkspaceId};
use crate::store::Store;

/// The file name of the database inside the data directory.
pub const DATABASE_FILE: &str = "pinsync.db";

/// How many idle reader connections are kept open.
const MAX_IDLE_READERS: usize = 4;

/// The SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    idle_readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir`. Does not migrate: call
    /// [`Store::migrate`].
    pub fn open_in_dir(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Database(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        Self::open(&data_dir.join(DATABASE_FILE))
    }

    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let writer = open_connection(path)?;
        // The writer inserts into indexes at scattered positions (bulk entry, the drain): a
        // 64 MB page cache keeps them in memory where SQLite's 2 MB default re-reads them.
        writer.execute_batch("PRAGMA cache_size = -65536;")?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                idle_readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction on the writer connection.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| StoreError::Database("writer connection poisoned".into()))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    /// Runs `work` on a reader connection.
    pub(crate) async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || {
            let idle = inner
                .idle_readers
                .lock()
                .ok()
                .and_then(|mut pool| pool.pop());
            let conn = match idle {
                Some(conn) => conn,
                None => open_connection(&inner.path)?,
            };
            let result = work(&conn);
            if let Ok(mut pool) = inner.idle_readers.lock()
                && pool.len() < MAX_IDLE_READERS
            {
                pool.push(conn);
            }
            result
        })
        .await
    }
}

async fn run_blocking<T, F>(work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA journal_size_limit = 67108864;",
    )?;
    Ok(conn)
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| StoreError::Database("writer connection poisoned".into()))?;
            migrations::apply(&mut conn)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    async fn ensure_workspace(&self, name: &str) -> Result<Workspace, StoreError> {
        let name = name.to_owned();
        self.write(move |tx| workspaces::ensure(tx, &name)).await
    }

    async fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| workspaces::by_name(conn, &name))
            .await
    }

    async fn insert_api_key(&self, key: NewApiKey) -> Result<(), StoreError> {
        self.write(move |tx| workspaces::insert_key(tx, &key)).await
    }

    async fn workspace_for_api_key(
        &self,
        key_sha256: &str,
    ) -> Result<Option<WorkspaceId>, StoreError> {
        let key_sha256 = key_sha256.to_owned();
        self.read(move |conn| workspaces::for_key(conn, &key_sha256))
            .await
    }

    async fn upsert_users(
        &self,
        workspace: WorkspaceId,
        users: Vec<UserUpsert>,
    ) -> Result<UpsertSummary, StoreError> {
        self.write(move |tx| users::upsert(tx, workspace, &users))
            .await
    }

    async fn user(
        &self,
        workspace: WorkspaceId,
        external_id: &str,
    ) -> Result<Option<UserProfile>, StoreError> {
        let external_id = external_id.to_owned();
        self.read(move |conn| users::fetch(conn, workspace, &external_id))
            .await
    }

    async fn count_users(&self, workspace: WorkspaceId) -> Result<u64, StoreError> {
        self.read(move |conn| users::count(conn, workspace)).await
    }
}
