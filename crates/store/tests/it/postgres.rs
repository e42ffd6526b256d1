//! The conformance suites against PostgreSQL, each test on a fresh database of its own, plus
//! PostgreSQL-specific checks (concurrent migration).
//!
//! The server is `PINSYNC_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! its role must be allowed to create databases. When it cannot be reached the tests fail
//! with a message saying so: they never skip.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use pinsync_store::postgres::databases;
use pinsync_store::{PgStore, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

/// The server the tests create their databases on, unless `PINSYNC_TEST_PG_URL` says otherwise.
const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Prefix of every test database, so that leftovers can be found and dropped.
const TEST_DATABASE_PREFIX: &str = "pinsync_t_";

/// Test databases older than this are leftovers of killed runs, dropped at the next start.
const LEFTOVER_AGE_SECS: u64 = 3_600;

/// A migrated store on a database of its own, dropped (best effort) with the fixture.
pub struct PgFixture {
    store: PgStore,
    database: String,
}

impl PgFixture {
    /// The name of the fixture's database, for opening more stores on it.
    pub fn database_name(&self) -> &str {
        &self.database
    }
}

impl std::ops::Deref for PgFixture {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        &self.store
    }
}

impl Drop for PgFixture {
    fn drop(&mut self) {
        // `Drop` cannot await, and the test's runtime may be single-threaded: drop the
        // database from a thread with a runtime of its own. `WITH (FORCE)` ends the pool's
        // connections, which close only after this returns.
        let database = self.database.clone();
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(drop_database(&database));
        });
        let _ = dropper.join();
    }
}

fn server_url() -> String {
    std::env::var("PINSYNC_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_owned())
}

fn server_options() -> PgConnectOptions {
    PgConnectOptions::from_str(&server_url())
        .unwrap_or_else(|e| panic!("PINSYNC_TEST_PG_URL is not a PostgreSQL URL: {e}"))
}

async fn server_connection() -> PgConnection {
    PgConnection::connect_with(&server_options())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at PINSYNC_TEST_PG_URL (default {DEFAULT_TEST_PG_URL}): \
                 {e}. Start PostgreSQL (CI does) or point PINSYNC_TEST_PG_URL at a server whose \
                 role may create databases."
            )
        })
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

async fn drop_database(database: &str) {
    let _ = databases::drop_database(&server_url(), database).await;
}

/// Drops test databases left by runs that were killed before their fixtures dropped them.
async fn drop_leftovers(server: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
            .bind(format!("{TEST_DATABASE_PREFIX}%"))
            .fetch_all(&mut *server)
            .await
            .expect("the list of databases");
    let cutoff = unix_seconds().saturating_sub(LEFTOVER_AGE_SECS);
    for name in names {
        let created: Option<u64> = name
            .strip_prefix(TEST_DATABASE_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse().ok());
        if created.is_some_and(|secs| secs < cutoff) {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *server)
                .await;
        }
    }
}

/// Creates an empty database named after the time and a random number.
pub async fn create_test_database() -> String {
    static LEFTOVERS_DROPPED: OnceCell<()> = OnceCell::const_new();
    let mut server = server_connection().await;
    LEFTOVERS_DROPPED
        .get_or_init(|| drop_leftovers(&mut server))
        .await;
    let database = format!(
        "{TEST_DATABASE_PREFIX}{}_{:016x}",
        unix_seconds(),
        rand::random::<u64>()
    );
    let _ = server.close().await;
    databases::create_database(&server_url(), &database)
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {database}: {e}"));
    database
}

/// A store on a database of its own, not migrated.
pub async fn connect_to(database: &str) -> PgStore {
    PgStore::connect_options(server_options().database(database), 4)
        .await
        .unwrap_or_else(|e| panic!("cannot open the test database {database}: {e}"))
}

pub async fn fresh_postgres() -> PgFixture {
    let database = create_test_database().await;
    let store = connect_to(&database).await;
    store.migrate().await.unwrap();
    PgFixture { store, database }
}

crate::conformance_suite!(postgres_backend, crate::postgres::fresh_postgres());
crate::account_conformance_suite!(postgres_account_backend, crate::postgres::fresh_postgres());
crate::connection_conformance_suite!(
    postgres_connection_backend,
    crate::postgres::fresh_postgres()
);
crate::canvas_conformance_suite!(postgres_canvas_backend, crate::postgres::fresh_postgres());
crate::sync_conformance_suite!(postgres_sync, crate::postgres::fresh_postgres());
crate::lease_conformance_suite!(postgres_lease_backend, crate::postgres::fresh_postgres());
crate::consent_conformance_suite!(postgres_consent_backend, crate::postgres::fresh_postgres());

#[tokio::test]
async fn instances_starting_together_apply_each_migration_once() {
    let database = create_test_database().await;
    let mut runs = Vec::new();
    for _ in 0..3 {
        let store = connect_to(&database).await;
        runs.push(tokio::spawn(async move { store.migrate().await }));
    }
    let mut applied = Vec::new();
    for run in runs {
        applied.extend(run.await.unwrap().unwrap());
    }
    applied.sort();

    let mut conn = PgConnection::connect_with(&server_options().database(&database))
        .await
        .unwrap();
    let recorded: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    assert!(!recorded.is_empty());
    assert_eq!(
        applied, recorded,
        "each version applied by exactly one instance"
    );
    drop_database(&database).await;
}

#[tokio::test]
async fn concurrent_upserts_of_the_same_users_lose_no_field_and_create_each_user_once() {
    use pinsync_store::{UpsertSummary, UserUpsert};

    let fixture = fresh_postgres().await;
    let workspace = fixture.ensure_workspace("acme").await.unwrap().id;
    let instances = [
        connect_to(&fixture.database).await,
        connect_to(&fixture.database).await,
    ];
    // Each instance sets an attribute of its own on the same 200 users, in opposite orders.
    let ids: Vec<String> = (0..200).map(|i| format!("u{i:03}")).collect();
    let mut runs = Vec::new();
    for (n, store) in instances.iter().enumerate() {
        let store = store.clone();
        let mut batch: Vec<UserUpsert> = ids
            .iter()
            .map(|id| UserUpsert {
                external_id: id.clone(),
                attributes: serde_json::json!({ format!("from_{n}"): n })
                    .as_object()
                    .unwrap()
                    .clone(),
                ..UserUpsert::default()
            })
            .collect();
        if n == 1 {
            batch.reverse();
        }
        runs.push(tokio::spawn(async move {
            store.upsert_users(workspace, batch).await
        }));
    }
    let mut total = UpsertSummary::default();
    for run in runs {
        let summary = run.await.unwrap().unwrap();
        total.created += summary.created;
        total.updated += summary.updated;
    }

    assert_eq!((total.created, total.updated), (200, 200));
    assert_eq!(fixture.count_users(workspace).await.unwrap(), 200);
    for id in &ids {
        let profile = fixture.user(workspace, id).await.unwrap().unwrap();
        assert_eq!(
            serde_json::Value::Object(profile.attributes),
            serde_json::json!({"from_0": 0, "from_1": 1}),
            "{id} kept both instances' attributes"
        );
    }
}

#[tokio::test]
async fn instances_ensuring_one_workspace_together_get_the_same_one() {
    let fixture = fresh_postgres().await;
    let mut runs = Vec::new();
    for _ in 0..4 {
        let store = connect_to(&fixture.database).await;
        runs.push(tokio::spawn(async move {
            store.ensure_workspace("shared").await
        }));
    }
    let mut ids = Vec::new();
    for run in runs {
        ids.push(run.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
}
