//! pinsync's sync pipeline: users recorded by audience-sync steps reach Pinterest's customer
//! lists, within each token's limits, in step order, and each is counted once.
//!
//! Built like a sink, one file per stage:
//! - [`config`]: [`PipelineSettings`] (flush interval, records per request, lease, retries);
//! - [`directory`]: where connections come from ([`ConnectionDirectory`], [`StaticDirectory`]);
//! - [`service_directory`]: the directory of `pinsync serve`, over the connection service;
//! - `target`: a step's ad account, audience and customer list;
//! - `scheduler`: due partitions grouped per connection, round robin between them;
//! - `batch`: claim → plan (ledger) → encode → send through the limiter → classify;
//! - `settle`: the outcome of a request applied to its users (complete, retry, pause);
//! - `encoder`, `classify`, `telemetry`: PATCH bodies, failure classes, metrics;
//! - `status`: polling each synced list and audience on Pinterest;
//! - [`ownership`]: which connections this instance may send for (leases across instances);
//! - `retry_errored`: requeueing a step's errored users once the cause is fixed;
//! - `consent`: consent revoked: removals queued from the ledger and sent as REMOVE batches;
//! - `background`: [`spawn_background`], the loop as `pinsync serve` runs it.
//!
//! Entry points: [`Pipeline::run_once`] (one pass, for tests and tools),
//! [`Pipeline::run`] (the background loop `serve` starts, with graceful shutdown) and
//! [`Pipeline::poll_statuses`].
//!
//! **Architecture invariant:** no task sleeps on a user. A retry is a stored next attempt
//! time; a claim is a lease; the loop wakes on a short tick.

mod background;
mod batch;
mod classify;
pub mod config;
mod consent;
pub mod directory;
mod encoder;
mod horizon;
pub mod ownership;
mod retry_errored;
mod scheduler;
pub mod service_directory;
mod settle;
mod status;
mod target;
mod telemetry;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;
use pinsync_core::canvas::StepId;
use pinsync_engine::Clock;
use pinsync_store::{CanvasId, Store, StoreError, WorkspaceId};

pub use background::{RunningPipeline, spawn_background, without_loop};
pub use config::PipelineSettings;
pub use consent::ConsentReport;
pub use directory::{
    ConnectionDirectory, ConnectionEvent, ConnectionKey, ConnectionState, StaticDirectory,
};
pub use encoder::NotHashed;
pub use ownership::{LeaseSettings, Ownership};
pub use retry_errored::RetryErroredError;
pub use scheduler::{BatchReport, PassReport};
pub use service_directory::ServiceDirectory;
pub use target::{SyncTarget, TargetError};

/// What can stop a pass.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The sync pipeline. Cheap to clone; clones share their caches and locks.
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    directory: Arc<dyn ConnectionDirectory>,
    clock: Arc<dyn Clock>,
    settings: PipelineSettings,
    /// Resolved targets per (canvas, step); an existing audience's list costs one read.
    targets: Mutex<HashMap<(CanvasId, StepId), (WorkspaceId, SyncTarget)>>,
    /// Steps whose list or audience Pinterest answered 404 for: their users error at once.
    deleted: Mutex<HashSet<(CanvasId, StepId)>>,
    /// When each paused partition was last checked against the retry horizon (`horizon`).
    horizon_checked: Mutex<HashMap<(CanvasId, StepId), i64>>,
    /// One lock per customer list: sends to a list happen one at a time, so the ledger
    /// check before a send sees every earlier send's result.
    list_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The connection leases this instance holds (with [`Ownership::Leased`]).
    owned: ownership::OwnedLeases,
}

impl Pipeline {
    pub fn new(
        store: Arc<dyn Store>,
        directory: Arc<dyn ConnectionDirectory>,
        clock: Arc<dyn Clock>,
        settings: PipelineSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                directory,
                clock,
                settings,
                targets: Mutex::new(HashMap::new()),
                deleted: Mutex::new(HashSet::new()),
                horizon_checked: Mutex::new(HashMap::new()),
                list_locks: Mutex::new(HashMap::new()),
                owned: ownership::OwnedLeases::default(),
            }),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &PipelineSettings {
        &self.inner.settings
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_millis()
    }

    fn list_lock(&self, customer_list_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.list_locks.lock();
        locks
            .entry(customer_list_id.to_owned())
            .or_default()
            .clone()
    }
}
