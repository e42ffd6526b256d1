//! The conformance suite against SQLite, plus SQLite-specific checks (durability settings).

use pinsync_store::{SqliteStore, Store};

/// A migrated store in a fresh temporary directory, removed when the fixture is dropped.
pub struct SqliteFixture {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for SqliteFixture {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

pub async fn fresh_sqlite() -> SqliteFixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in_dir(dir.path()).unwrap();
    store.migrate().await.unwrap();
    SqliteFixture { store, _dir: dir }
}

crate::conformance_suite!(sqlite_backend, crate::sqlite::fresh_sqlite());
crate::canvas_conformance_suite!(sqlite_canvas_backend, crate::sqlite::fresh_sqlite());
crate::lease_conformance_suite!(sqlite_lease_backend, crate::sqlite::fresh_sqlite());
crate::consent_conformance_suite!(sqlite_consent_backend, crate::sqlite::fresh_sqlite());

#[tokio::test]
async fn the_database_runs_in_wal_mode_with_full_sync() {
    let store = fresh_sqlite().await;
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_reopened_database_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open_in_dir(dir.path()).unwrap();
        store.migrate().await.unwrap();
        store.ensure_workspace("acme").await.unwrap();
    }
    let store = SqliteStore::open_in_dir(dir.path()).unwrap();
    assert!(store.migrate().await.unwrap().is_empty());
    assert!(store.workspace_by_name("acme").await.unwrap().is_some());
}
