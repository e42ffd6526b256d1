//! The pipeline as `pinsync serve` runs it: on the system clock, with the connection
//! service's directory, stopped (gracefully) through a handle.

use std::sync::Arc;

use pinsync_connect::ConnectionService;
use pinsync_engine::SystemClock;
use pinsync_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{Pipeline, PipelineSettings, ServiceDirectory};

/// A running background loop.
pub struct RunningPipeline {
    pub pipeline: Pipeline,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningPipeline {
    /// Stops claiming, lets in-flight requests finish (at most `shutdown_grace`) and waits.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "sync pipeline task failed");
        }
    }
}

/// The pipeline over `store` and `service`'s connections, without its loop: for an instance
/// that does not deliver (it still queues consent removals and requeues errored users, as
/// data the delivering instances act on).
pub fn without_loop(
    store: Arc<dyn Store>,
    service: Arc<ConnectionService>,
    settings: PipelineSettings,
) -> Pipeline {
    let directory = Arc::new(ServiceDirectory::new(service));
    Pipeline::new(store, directory, Arc::new(SystemClock), settings)
}

/// Starts the pipeline over `store`, sending through `service`'s connections.
pub fn spawn_background(
    store: Arc<dyn Store>,
    service: Arc<ConnectionService>,
    settings: PipelineSettings,
) -> RunningPipeline {
    let directory = Arc::new(ServiceDirectory::new(service));
    let settings_quiet = settings.start_quiet;
    let pipeline = Pipeline::new(store, directory, Arc::new(SystemClock), settings);
    let (stop, mut stopped) = watch::channel(false);
    let running = pipeline.clone();
    let quiet = settings_quiet;
    let task = tokio::spawn(async move {
        // Announce this instance at once (with several instances, its lease is what the
        // others' fair share counts), then wait out the start quiet before any send.
        running.renew_leases().await;
        let mut waiting = stopped.clone();
        tokio::select! {
            _ = tokio::time::sleep(quiet) => {}
            _ = waiting.wait_for(|stop| *stop) => return,
        }
        running
            .run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
    });
    RunningPipeline {
        pipeline,
        stop,
        task,
    }
}
