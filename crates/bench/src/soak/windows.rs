//! The sliding-window count behind "no token ever exceeded its limit": the largest number of
//! requests that arrived within any window `(t - w, t]`, as Pinterest and the sandbox count.

use std::time::Duration;

/// The most arrivals within any window of length `window` that ends at an arrival.
/// `arrivals` must be sorted (earliest first).
pub fn max_in_window(arrivals: &[Duration], window: Duration) -> usize {
    let mut oldest = 0;
    let mut best = 0;
    for (newest, at) in arrivals.iter().enumerate() {
        // Drop arrivals at or before `at - window`: the window is open on the left.
        while arrivals[oldest] + window <= *at {
            oldest += 1;
        }
        best = best.max(newest - oldest + 1);
    }
    best
}

/// One limit checked against what was sent.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WindowCheck {
    /// What the requests were, e.g. `writes`.
    pub requests: &'static str,
    pub window_ms: u128,
    pub limit: u64,
    /// The most requests seen in one window.
    pub max_seen: u64,
}

impl WindowCheck {
    pub fn new(
        requests: &'static str,
        arrivals: &[Duration],
        window: Duration,
        limit: u64,
    ) -> Self {
        Self {
            requests,
            window_ms: window.as_millis(),
            limit,
            max_seen: max_in_window(arrivals, window) as u64,
        }
    }

    /// A limit of 0 means "not limited" (as in the sandbox's configuration).
    pub fn exceeded(&self) -> bool {
        self.limit > 0 && self.max_seen > self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn a_window_is_open_on_the_left_and_closed_on_the_right() {
        let second = Duration::from_secs(1);
        assert_eq!(max_in_window(&[], second), 0);
        assert_eq!(max_in_window(&ms(&[0, 1_000]), second), 1);
        assert_eq!(max_in_window(&ms(&[0, 999]), second), 2);
        assert_eq!(max_in_window(&ms(&[0, 10, 20, 1_005, 1_015]), second), 3);
        assert_eq!(max_in_window(&ms(&[5, 5, 5, 5]), second), 4);
    }

    #[test]
    fn a_check_fails_only_above_a_nonzero_limit() {
        let arrivals = ms(&[0, 100, 200]);
        let second = Duration::from_secs(1);
        assert!(!WindowCheck::new("writes", &arrivals, second, 3).exceeded());
        assert!(WindowCheck::new("writes", &arrivals, second, 2).exceeded());
        assert!(!WindowCheck::new("writes", &arrivals, second, 0).exceeded());
    }
}
