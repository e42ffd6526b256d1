//! One sliding-window log: the start times of the last `limit` requests.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::config::WindowLimit;

/// Admits a start at `t` only if fewer than `limit` recorded starts lie in `(t - span, t]`,
/// where `span` is the window plus the safety margin. Starts are recorded in time order,
/// so only the newest `limit` ever matter.
#[derive(Debug)]
pub(super) struct SlidingWindowLog {
    limit: WindowLimit,
    span: Duration,
    starts: VecDeque<Instant>,
}

impl SlidingWindowLog {
    pub(super) fn new(limit: WindowLimit, safety_margin: Duration) -> Self {
        Self {
            limit,
            span: limit.window + safety_margin,
            starts: VecDeque::with_capacity(limit.limit as usize),
        }
    }

    pub(super) fn limit(&self) -> WindowLimit {
        self.limit
    }

    /// The earliest instant (never before `now`) at which one more start is allowed.
    pub(super) fn earliest_start(&self, now: Instant) -> Instant {
        if self.starts.len() < self.limit.limit as usize {
            return now;
        }
        match self.starts.front() {
            Some(oldest) => (*oldest + self.span).max(now),
            None => now,
        }
    }

    /// Records a start at `now`; callers record in non-decreasing time order.
    pub(super) fn record(&mut self, now: Instant) {
        self.starts.push_back(now);
        while self.starts.len() > self.limit.limit as usize {
            self.starts.pop_front();
        }
    }

    /// Starts within the last `span` before `now`.
    pub(super) fn used(&self, now: Instant) -> u32 {
        let in_window = self
            .starts
            .iter()
            .filter(|start| now.saturating_duration_since(**start) < self.span)
            .count();
        u32::try_from(in_window).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_admits_the_next_start_one_span_after_the_oldest() {
        let base = Instant::now();
        let mut log = SlidingWindowLog::new(WindowLimit::per_second(2), Duration::from_millis(50));
        assert_eq!(log.earliest_start(base), base);
        log.record(base);
        log.record(base + Duration::from_millis(100));

        assert_eq!(
            log.earliest_start(base + Duration::from_millis(200)),
            base + Duration::from_millis(1_050)
        );
        assert_eq!(log.used(base + Duration::from_millis(200)), 2);
        assert_eq!(log.used(base + Duration::from_millis(1_100)), 1);
    }
}
