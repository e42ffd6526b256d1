//! The scheduler: finds due partitions, groups them by connection, and shares each
//! connection's requests fairly among its partitions (round robin, one batch per turn), with
//! a few batches in flight per connection. Paused partitions send nothing; their users error
//! only once the retry horizon has passed.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use pinsync_core::canvas::StepId;
use pinsync_core::reason::ReasonCode;
use pinsync_core::sync::batch_plan::flush_due;
use pinsync_store::CanvasId;
use pinsync_store::sync::DuePartition;
use tokio::task::JoinSet;

use crate::batch::{BatchResult, Partition};
use crate::config::millis;
use crate::directory::{ConnectionKey, ConnectionState};
use crate::target::{resolve, step_target};
use crate::{Pipeline, PipelineError};

/// What one batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub canvas_id: CanvasId,
    pub step_id: StepId,
    pub connection: ConnectionKey,
    /// HTTP requests made (more than one when an invalid request was split).
    pub requests: u32,
    pub records_sent: usize,
    pub synced: u64,
    /// Adds dropped because the user's ad tracking was disabled in the meantime.
    pub not_synced: u64,
    pub errored: u64,
    pub retried: u64,
    /// Set when the batch paused its connection (or ad account).
    pub paused: Option<ReasonCode>,
}

impl BatchReport {
    pub(crate) fn new(partition: &Partition) -> Self {
        Self {
            canvas_id: partition.canvas_id,
            step_id: partition.step_id.clone(),
            connection: partition.connection.clone(),
            requests: 0,
            records_sent: 0,
            synced: 0,
            not_synced: 0,
            errored: 0,
            retried: 0,
            paused: None,
        }
    }
}

/// What one pass did, batches in the order they finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub batches: Vec<BatchReport>,
    /// Users of paused partitions errored because the retry horizon passed.
    pub expired: u64,
    /// Partitions skipped because their connection is paused or missing.
    pub paused_partitions: u64,
    /// Partitions skipped because another instance owns their connection.
    pub not_owned_partitions: u64,
    /// How long finding and preparing the due partitions took (a scan of the pending items,
    /// so it grows with the backlog, e.g. millions of users behind a paused connection).
    pub scan: std::time::Duration,
}

impl PassReport {
    pub fn requests(&self) -> u32 {
        self.batches.iter().map(|b| b.requests).sum()
    }

    pub fn synced(&self) -> u64 {
        self.batches.iter().map(|b| b.synced).sum()
    }
}

struct Lane {
    rotation: VecDeque<usize>,
    done: Vec<bool>,
    reports: Vec<BatchReport>,
}

impl Pipeline {
    /// One pass: every due partition is sent until nothing due is left (or `stop`), each
    /// connection's partitions in turn. Tests call this instead of waiting on timers.
    pub async fn run_once(&self) -> Result<PassReport, PipelineError> {
        self.pass(Arc::new(AtomicBool::new(false))).await
    }

    /// The background loop: a pass, then a short tick, until `shutdown` completes. On
    /// shutdown no new batch is claimed; in-flight ones get `shutdown_grace` to finish (a
    /// batch cut off later is sent again once its lease expires).
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let (stop_heartbeat, heartbeat_stopped) = tokio::sync::watch::channel(false);
        let beating = self.clone();
        let heartbeat = tokio::spawn(async move {
            let mut stopped = heartbeat_stopped;
            beating
                .heartbeat(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await;
        });
        self.run_passes(shutdown).await;
        // Nothing is in flight any more: hand the connections to the other instances now.
        let _ = stop_heartbeat.send(true);
        let _ = heartbeat.await;
        self.release_leases().await;
    }

    async fn run_passes(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let stopping = Arc::new(AtomicBool::new(false));
        // The first status poll comes one interval after start, not in the first second of
        // a drain, so reads never crowd the start of the write budget.
        let mut last_poll = self.now();
        loop {
            let pipeline = self.clone();
            let flag = stopping.clone();
            let mut pass = tokio::spawn(async move { pipeline.pass(flag).await });
            let pause = tokio::select! {
                finished = &mut pass => pause_after(log_pass(finished), self.inner.settings.tick),
                () = &mut shutdown => {
                    stopping.store(true, Ordering::SeqCst);
                    let grace = self.inner.settings.shutdown_grace;
                    match tokio::time::timeout(grace, &mut pass).await {
                        Ok(finished) => {
                            log_pass(finished);
                        }
                        Err(_) => {
                            pass.abort();
                            tracing::warn!("sync pipeline stopped with requests in flight; their leases will expire");
                        }
                    }
                    return;
                }
            };
            // Consent removals ride the same loop, connections and limiters (see `consent`).
            if let Err(error) = self.send_consent_removals().await {
                tracing::error!(%error, "consent removals failed");
            }
            let now = self.now();
            let interval = millis(self.inner.settings.status_poll_interval);
            if now - last_poll >= interval {
                last_poll = now;
                self.poll_statuses().await;
                self.publish_queue_depths().await;
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = &mut shutdown => return,
            }
        }
    }

    async fn pass(&self, stopping: Arc<AtomicBool>) -> Result<PassReport, PipelineError> {
        let now = self.now();
        let settings = &self.inner.settings;
        let scan_started = std::time::Instant::now();
        let due = self.inner.store.due_sync_partitions(now).await?;
        let mut report = PassReport::default();
        let mut lanes: BTreeMap<ConnectionKey, Vec<Partition>> = BTreeMap::new();
        for partition in due {
            let ready = flush_due(
                partition.records,
                partition.oldest_entered_at,
                partition.holds_retries,
                now,
                millis(settings.flush_interval),
                settings.max_records_per_request as u64,
            );
            if !ready {
                continue;
            }
            match self.prepare(&partition).await {
                Ok(Some(ready)) => lanes
                    .entry(ready.connection.clone())
                    .or_default()
                    .push(ready),
                Ok(None) => {
                    report.paused_partitions += 1;
                }
                Err(PrepareProblem::Paused(reason)) => {
                    report.paused_partitions += 1;
                    report.expired += self.expire(&partition, reason).await?;
                }
                Err(PrepareProblem::NotOwner) => report.not_owned_partitions += 1,
                Err(PrepareProblem::Unusable(problem)) => {
                    tracing::warn!(canvas_id = %partition.canvas_id, step_id = %partition.step_id, %problem, "partition cannot be synced now");
                }
            }
        }
        report.scan = scan_started.elapsed();
        let mut tasks = JoinSet::new();
        for (_, partitions) in lanes {
            let pipeline = self.clone();
            let stopping = stopping.clone();
            tasks.spawn(async move { pipeline.run_lane(partitions, stopping).await });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(batches) => report.batches.extend(batches),
                Err(error) => tracing::error!(%error, "sync lane task failed"),
            }
        }
        Ok(report)
    }

    /// Sends a connection's partitions round robin, one batch per turn, with up to
    /// `batches_in_flight_per_connection` batches at once.
    async fn run_lane(
        &self,
        partitions: Vec<Partition>,
        stopping: Arc<AtomicBool>,
    ) -> Vec<BatchReport> {
        let partitions = Arc::new(partitions);
        let lane = Arc::new(Mutex::new(Lane {
            rotation: (0..partitions.len()).collect(),
            done: vec![false; partitions.len()],
            reports: Vec::new(),
        }));
        let workers = self.inner.settings.batches_in_flight_per_connection.max(1);
        let mut tasks = JoinSet::new();
        for _ in 0..workers {
            let pipeline = self.clone();
            let (partitions, lane, stopping) = (partitions.clone(), lane.clone(), stopping.clone());
            tasks.spawn(async move {
                while !stopping.load(Ordering::SeqCst) {
                    let Some(index) = next_turn(&lane) else { break };
                    let partition = &partitions[index];
                    if !pipeline.owns(&partition.connection) {
                        // The lease lapsed or went to another instance: it sends from now on.
                        lane.lock().done[index] = true;
                        continue;
                    }
                    match pipeline.send_one_batch(partition).await {
                        Ok(BatchResult::Worked(report)) => {
                            let mut lane = lane.lock();
                            if let Some(reason) = report.paused {
                                pause_lane(&mut lane, &partitions, partition, reason);
                            }
                            lane.reports.push(report);
                        }
                        Ok(BatchResult::Exhausted | BatchResult::NotDue) => lane.lock().done[index] = true,
                        Err(error) => {
                            tracing::error!(%error, canvas_id = %partition.canvas_id, step_id = %partition.step_id, "sync batch failed");
                            lane.lock().done[index] = true;
                        }
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let mut lane = lane.lock();
        std::mem::take(&mut lane.reports)
    }

    /// Resolves a due partition: `Ok(None)` when it must wait without being paused (its new
    /// audience is not created yet).
    async fn prepare(&self, due: &DuePartition) -> Result<Option<Partition>, PrepareProblem> {
        let store = &self.inner.store;
        let canvas = store
            .canvas(due.workspace_id, due.canvas_id)
            .await
            .map_err(|e| PrepareProblem::Unusable(e.to_string()))?
            .ok_or_else(|| PrepareProblem::Unusable("canvas not found".into()))?;
        let step = step_target(&canvas.definition, &due.step_id)
            .map_err(|e| PrepareProblem::Unusable(e.to_string()))?;
        let Some((connection, state)) = self
            .inner
            .directory
            .connection_for(due.workspace_id, &step.ad_account_id)
            .await
        else {
            return Err(PrepareProblem::Paused(ReasonCode::InvalidToken));
        };
        // Only the connection's owner spends its budget (target reads, sends, expiry).
        if !self.acquire_connection(&connection).await {
            return Err(PrepareProblem::NotOwner);
        }
        let client = match state {
            ConnectionState::Ready(client) => client,
            ConnectionState::Paused(reason) => return Err(PrepareProblem::Paused(reason)),
        };
        let key = (due.canvas_id, due.step_id.clone());
        let cached = self.inner.targets.lock().get(&key).cloned();
        let target = match cached {
            Some((_, target)) => target,
            None => match resolve(&step, &client).await {
                Ok(Some(target)) => {
                    let entry = (due.workspace_id, target.clone());
                    self.inner.targets.lock().insert(key, entry);
                    target
                }
                Ok(None) => return Ok(None),
                Err(error) => return Err(PrepareProblem::Unusable(error.to_string())),
            },
        };
        Ok(Some(Partition {
            workspace_id: due.workspace_id,
            canvas_id: due.canvas_id,
            step_id: due.step_id.clone(),
            connection,
            client,
            target,
        }))
    }
}

#[derive(Debug)]
enum PrepareProblem {
    Paused(ReasonCode),
    /// Another instance holds the connection's lease.
    NotOwner,
    Unusable(String),
}

/// The next partition whose turn it is, moved to the back of the rotation.
fn next_turn(lane: &Mutex<Lane>) -> Option<usize> {
    let mut lane = lane.lock();
    for _ in 0..lane.rotation.len() {
        let index = lane.rotation.pop_front()?;
        if lane.done[index] {
            continue;
        }
        lane.rotation.push_back(index);
        return Some(index);
    }
    None
}

/// An invalid token stops the whole connection; lost access stops that ad account only.
fn pause_lane(lane: &mut Lane, partitions: &[Partition], cause: &Partition, reason: ReasonCode) {
    let lost_account: HashSet<&str> = match reason {
        ReasonCode::AccessLost => [cause.target.ad_account_id.as_str()].into(),
        _ => HashSet::new(),
    };
    for (index, partition) in partitions.iter().enumerate() {
        if lost_account.is_empty() || lost_account.contains(partition.target.ad_account_id.as_str())
        {
            lane.done[index] = true;
        }
    }
}

/// The scan of due partitions may use at most 1 / `SCAN_DUTY` of the loop's time: after a scan
/// of 80 ms (a million users pending) the loop rests 320 ms instead of one tick.
const SCAN_DUTY: u32 = 4;
/// The longest rest between passes, whatever the scan cost: bounds the delay a huge backlog
/// adds to the 5 s flush.
const MAX_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

/// The rest before the next pass: the tick, or longer when the last scan was costly.
fn pause_after(
    scan: Option<std::time::Duration>,
    tick: std::time::Duration,
) -> std::time::Duration {
    let costly = scan.map_or(tick, |scan| scan * SCAN_DUTY);
    tick.max(costly.min(MAX_PAUSE))
}

/// Logs a finished pass; answers its scan time.
fn log_pass(
    finished: Result<Result<PassReport, PipelineError>, tokio::task::JoinError>,
) -> Option<std::time::Duration> {
    match finished {
        Ok(Ok(report)) => {
            if !report.batches.is_empty() {
                tracing::debug!(
                    batches = report.batches.len(),
                    synced = report.synced(),
                    "sync pass done"
                );
            }
            Some(report.scan)
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "sync pass failed");
            None
        }
        Err(error) => {
            tracing::error!(%error, "sync pass task failed");
            None
        }
    }
}

#[cfg(test)]
mod pause_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_costly_scan_stretches_the_rest_up_to_a_bound() {
        let tick = Duration::from_millis(100);
        assert_eq!(pause_after(Some(Duration::from_millis(2)), tick), tick);
        assert_eq!(pause_after(None, tick), tick);
        assert_eq!(
            pause_after(Some(Duration::from_millis(80)), tick),
            Duration::from_millis(320)
        );
        assert_eq!(pause_after(Some(Duration::from_secs(3)), tick), MAX_PAUSE);
    }
}
