//! The sandbox's time source, injectable so tests can expire tokens and codes, finish audience
//! processing and move rate windows without sleeping.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

/// A source of wall-clock time, as the duration since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Duration;

    /// Whole Unix seconds, as Pinterest's timestamps are.
    fn now_secs(&self) -> u64 {
        self.now().as_secs()
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// Starts at the given Unix time.
    pub fn starting_at(unix: Duration) -> Self {
        Self {
            now: Arc::new(Mutex::new(unix)),
        }
    }

    /// Starts at 2026-07-09T10:00:00Z, a fixed, realistic date.
    pub fn new() -> Self {
        Self::starting_at(Duration::from_secs(1_783_591_200))
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock() += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock()
    }
}
