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
