//! The rate limiter of one user token: waits, in FIFO order per category, until every
//! window of the category and every all-requests window allows one more request start.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

use super::config::{RateCategory, RateLimitConfig, RateLimitConfigError, WindowLimit};
use super::window::SlidingWindowLog;

/// Which requests a window counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    Category(RateCategory),
    AllRequests,
}

/// One window's configured limit and how much of it the last `window` used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUsage {
    pub scope: LimitScope,
    pub limit: WindowLimit,
    pub used: u32,
}

/// A point-in-time view for dashboards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimiterUsage {
    /// Set while a 429 pause is in force.
    pub paused_until: Option<Instant>,
    pub windows: Vec<WindowUsage>,
}

#[derive(Debug)]
struct WindowLogs {
    per_category: [Vec<SlidingWindowLog>; 4],
    all_requests: Vec<SlidingWindowLog>,
    paused_until: Option<Instant>,
}

impl WindowLogs {
    fn earliest_start(&self, category: RateCategory, now: Instant) -> Instant {
        let pause = self.paused_until.unwrap_or(now).max(now);
        self.per_category[category.index()]
            .iter()
            .chain(&self.all_requests)
            .map(|log| log.earliest_start(now))
            .fold(pause, Instant::max)
    }

    fn record(&mut self, category: RateCategory, now: Instant) {
        for log in &mut self.per_category[category.index()] {
            log.record(now);
        }
        for log in &mut self.all_requests {
            log.record(now);
        }
    }
}

/// Shared by every caller of one Pinterest connection (wrap it in an `Arc`).
///
/// Waiters of one category are served first come, first served (tokio's mutex is FIFO);
/// categories only compete for the all-requests windows. A slot is taken at the moment
/// the request may start, never reserved ahead, so the recorded starts are in time order.
#[derive(Debug)]
pub struct RateLimiter {
    logs: Mutex<WindowLogs>,
    queues: [tokio::sync::Mutex<()>; 4],
    waiting: [AtomicUsize; 4],
}

/// Decrements a waiter count even when the waiting future is dropped.
struct WaitingGuard<'a>(&'a AtomicUsize);

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl RateLimiter {
    pub fn new(config: &RateLimitConfig) -> Result<Self, RateLimitConfigError> {
        config.validate()?;
        Ok(Self::from_validated(config))
    }

    /// Builds from a config that already passed [`RateLimitConfig::validate`].
    pub(super) fn from_validated(config: &RateLimitConfig) -> Self {
        let logs_for = |windows: &[WindowLimit]| {
            windows
                .iter()
                .map(|limit| SlidingWindowLog::new(*limit, config.safety_margin))
                .collect::<Vec<_>>()
        };
        let per_category = RateCategory::ALL.map(|category| logs_for(config.category(category)));
        Self {
            logs: Mutex::new(WindowLogs {
                per_category,
                all_requests: logs_for(&config.all_requests),
                paused_until: None,
            }),
            queues: Default::default(),
            waiting: Default::default(),
        }
    }

    /// Waits until a request of `category` may start, takes the slot, and returns how long
    /// it waited. Dropping the future gives up the place in the queue without a slot.
    pub async fn acquire(&self, category: RateCategory) -> Duration {
        let arrived = Instant::now();
        let counter = &self.waiting[category.index()];
        counter.fetch_add(1, Ordering::Relaxed);
        let _waiting = WaitingGuard(counter);
        let _turn = self.queues[category.index()].lock().await;
        loop {
            let ready_at = {
                let mut logs = self.logs.lock();
                let now = Instant::now();
                let ready_at = logs.earliest_start(category, now);
                if ready_at <= now {
                    logs.record(category, now);
                    return now.saturating_duration_since(arrived);
                }
                ready_at
            };
            // Re-check after waking: a pause or another category may have moved the time.
            tokio::time::sleep_until(ready_at).await;
        }
    }

    /// Holds every request of this token until `until` (a 429 asked us to back off).
    /// A pause only ever extends: an earlier `until` than the current one is ignored.
    pub fn pause_until(&self, until: Instant) {
        let mut logs = self.logs.lock();
        let extended = logs
            .paused_until
            .map_or(until, |current| current.max(until));
        logs.paused_until = Some(extended);
    }

    /// The pause in force, if any.
    pub fn paused_until(&self) -> Option<Instant> {
        let logs = self.logs.lock();
        logs.paused_until.filter(|until| *until > Instant::now())
    }

    /// How long a request of `category` arriving now would wait if nobody were queued
    /// ahead of it.
    pub fn current_wait(&self, category: RateCategory) -> Duration {
        let logs = self.logs.lock();
        let now = Instant::now();
        logs.earliest_start(category, now)
            .saturating_duration_since(now)
    }

    /// How many callers are waiting for (or about to take) a slot of `category`.
    pub fn waiters(&self, category: RateCategory) -> usize {
        self.waiting[category.index()].load(Ordering::Relaxed)
    }

    /// Permits used per window right now, for dashboards.
    pub fn usage(&self) -> LimiterUsage {
        let logs = self.logs.lock();
        let now = Instant::now();
        let mut windows = Vec::new();
        for category in RateCategory::ALL {
            for log in &logs.per_category[category.index()] {
                windows.push(WindowUsage {
                    scope: LimitScope::Category(category),
                    limit: log.limit(),
                    used: log.used(now),
                });
            }
        }
        for log in &logs.all_requests {
            windows.push(WindowUsage {
                scope: LimitScope::AllRequests,
                limit: log.limit(),
                used: log.used(now),
            });
        }
        LimiterUsage {
            paused_until: logs.paused_until.filter(|until| *until > now),
            windows,
        }
    }
}

#[cfg(test)]
#[path = "rate_limiter_tests.rs"]
mod tests;
