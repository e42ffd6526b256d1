//! The store each test runs on: SQLite in the test's temporary directory by default, or a
//! fresh PostgreSQL database per test when `PINSYNC_TEST_BACKEND=postgres` (on the server
//! `PINSYNC_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`). The
//! databases are named `pinsync_test_*`; `.ci/run` drops them after the run.

use std::path::Path;
use std::sync::Arc;

use pinsync_store::{PgStore, SqliteStore, Store};

/// The administrative URL test databases are created from.
pub const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether the tests run on PostgreSQL (`PINSYNC_TEST_BACKEND=postgres`); any value other
/// than `postgres`, `sqlite` or nothing is refused.
pub fn on_postgres() -> bool {
    match std::env::var("PINSYNC_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("PINSYNC_TEST_BACKEND={other:?}: expected postgres or sqlite"),
    }
}

/// A migrated, empty store: a fresh PostgreSQL database or SQLite in `dir`.
pub async fn fresh_store(dir: &Path) -> Arc<dyn Store> {
    if on_postgres() {
        let url = fresh_pg_database().await;
        let store = PgStore::connect_with(&url, 4)
            .await
            .unwrap_or_else(|e| panic!("cannot open the test database: {e}"));
        store.migrate().await.unwrap();
        return Arc::new(store);
    }
    let sqlite = SqliteStore::open_in_dir(dir).unwrap();
    sqlite.migrate().await.unwrap();
    Arc::new(sqlite)
}

/// Creates an empty database on the test server and returns its URL. Panics (fails the
/// test) when the server cannot be reached: asking for PostgreSQL and not getting it is an
/// error, not a skip.
pub async fn fresh_pg_database() -> String {
    let admin =
        std::env::var("PINSYNC_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_owned());
    let name = format!(
        "pinsync_test_{}_{:016x}",
        std::process::id(),
        rand::random::<u64>()
    );
    pinsync_store::postgres::databases::create_database(&admin, &name)
        .await
        .unwrap_or_else(|e| {
            panic!("PINSYNC_TEST_BACKEND=postgres but PINSYNC_TEST_PG_URL is unusable: {e}")
        })
}
