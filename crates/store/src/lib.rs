//! pinsync's storage: the [`Store`] trait every backend implements, the records it deals in,
//! the SQLite backend (the default, embedded in the data directory) and the PostgreSQL one.
//!
//! - [`model`]: the plain records the store reads and writes (workspaces, keys, users).
//! - [`error`]: [`StoreError`], the domain errors backends translate driver errors into.
//! - [`account_model`]: dashboard users, sessions and set-up links ([`accounts`]).
//! - [`connection_model`]: the records of the connection area (encrypted tokens, events).
//! - [`connections`], [`canvases`], [`sync`], [`consent`]: the parts of the [`Store`] trait by area.
//! - [`canvas_model`]: the records of Canvases, journeys, sync items and step analytics.
//! - [`sqlite`]: the SQLite backend (rusqlite on blocking threads, WAL, one writer).
//! - [`postgres`]: the PostgreSQL backend (sqlx's `postgres` driver, a connection pool), for
//!   several instances on one database.
//!
//! **Architecture invariant:** no raw email or advertising ID reaches the store; users carry
//! only the SHA-256 of each normalized identifier and the outcome of parsing it.

pub mod account_model;
pub mod accounts;
pub mod canvas_model;
pub mod canvases;
pub mod connection_model;
pub mod connections;
pub mod consent;
pub mod error;
pub mod leases;
pub mod model;
pub mod postgres;
mod profile_merge;
pub mod sqlite;
mod store;
pub mod sync;

pub use account_model::*;
pub use accounts::AccountStore;
pub use canvas_model::*;
pub use canvases::CanvasStore;
pub use connection_model::*;
pub use connections::ConnectionStore;
pub use consent::ConsentStore;
pub use error::StoreError;
pub use leases::{Lease, LeaseStore};
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use store::Store;
pub use sync::SyncStore;

/// Milliseconds since the Unix epoch, the timestamp unit of every stored time.
pub fn now_millis() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}
