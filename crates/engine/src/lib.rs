//! pinsync's Canvas engine: what the HTTP server and the CLI call to run journeys.
//!
//! - [`Engine`]: the handle (a store, a [`Clock`], [`EngineSettings`]).
//! - [`lifecycle`]: create, edit, duplicate, launch, stop and archive Canvases; which edits an
//!   active Canvas accepts (`edit_rules`).
//! - [`entry`]: entering users, one batch at a time or as a streamed NDJSON/CSV import
//!   ([`entry::BulkEntry`], rows parsed by `bulk_rows`).
//! - [`timers`]: the delay timer: claims due journeys in batches and moves them on.
//! - [`dry_run`]: how many users each step would sync, before launch.
//! - [`clock`]: the system clock and a manual clock for tests.
//!
//! The journey rule itself (how a user moves through steps) is pure and lives beside the
//! records in `pinsync_store::canvas_model::walk`, because every backend must apply it inside
//! the transaction that moves the user, where the counters change too.
//!
//! **Architecture invariant:** there is no task per user. Waiting users are rows with a
//! wake-up time that the timer claims in batches.

mod bulk_rows;
pub mod clock;
pub mod dry_run;
mod edit_rules;
pub mod entry;
mod error;
pub mod lifecycle;
pub mod timers;

use std::sync::Arc;
use std::time::Duration;

use pinsync_store::Store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{EditProblem, EngineError};
pub use lifecycle::{LaunchChecks, NoLaunchChecks};

/// Tunables of the engine.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Users written per transaction by bulk entry.
    pub entry_chunk_users: usize,
    /// Journeys moved on per timer transaction.
    pub timer_batch: u32,
    /// The longest the timer loop sleeps between passes.
    pub timer_poll: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            entry_chunk_users: 10_000,
            timer_batch: 1_000,
            timer_poll: Duration::from_secs(1),
        }
    }
}

/// The Canvas engine. Cheap to clone; every clone shares the store and the clock.
#[derive(Clone)]
pub struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Arc<EngineSettings>,
}

impl Engine {
    /// An engine over `store` telling time with `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: EngineSettings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
        }
    }

    /// An engine on the system clock with default settings.
    pub fn with_system_clock(store: Arc<dyn Store>) -> Self {
        Self::new(store, Arc::new(SystemClock), EngineSettings::default())
    }

    /// The store the engine writes to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Now, in milliseconds since the Unix epoch, by the engine's clock.
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The engine's settings.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }
}
