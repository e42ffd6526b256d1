//! The delay timer: journeys whose delay ended are claimed in batches (a `LIMIT` per
//! transaction) and moved on. Tests drive it with [`Engine::run_due_timers`] and a manual
//! clock; the server runs [`Engine::run_timer_loop`] until shutdown.

use std::future::Future;
use std::time::Duration;

use crate::{Engine, EngineError};

impl Engine {
    /// Moves on every journey due by the engine's clock; returns how many moved.
    pub async fn run_due_timers(&self) -> Result<u64, EngineError> {
        let mut advanced = 0;
        loop {
            let batch = self.settings.timer_batch;
            let report = self.store.advance_due_journeys(self.now(), batch).await?;
            advanced += report.advanced;
            if report.advanced < u64::from(batch) {
                return Ok(advanced);
            }
        }
    }

    /// Runs the timer until `shutdown` completes: a pass, then a sleep until the next wake-up
    /// (at most `timer_poll`, as new journeys may arrive meanwhile).
    pub async fn run_timer_loop(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.run_due_timers().await {
                tracing::warn!(error = %error, "delay timer pass failed");
            }
            let pause = self.pause_before_next_pass().await;
            tokio::select! {
                _ = &mut shutdown => {
                    tracing::info!("delay timer stopped");
                    return;
                }
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn pause_before_next_pass(&self) -> Duration {
        let poll = self.settings.timer_poll;
        match self.store.next_wake_at().await {
            Ok(Some(wake_at)) => {
                let millis = u64::try_from(wake_at.saturating_sub(self.now())).unwrap_or(0);
                poll.min(Duration::from_millis(millis))
            }
            _ => poll,
        }
    }
}
