//! Latency samples (one per acknowledged user) turned into percentiles and per-second series:
//! users entered and acknowledged in each second, and the latency of those acknowledged.

/// One acknowledged user: when it entered the step and when Pinterest acknowledged it (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckSample {
    pub entered_at: i64,
    pub acknowledged_at: i64,
}

impl AckSample {
    pub fn latency_ms(&self) -> i64 {
        self.acknowledged_at - self.entered_at
    }
}

/// One second of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Second {
    pub entered: u64,
    pub acknowledged: u64,
    /// Latency of the users acknowledged in this second; `None` when there were none.
    pub p50_ms: Option<i64>,
    pub p99_ms: Option<i64>,
}

/// The nearest-rank percentile `p` (0..=1) of sorted values; 0 for none.
pub fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() as f64 * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Seconds from `start_ms` to the last event; samples before `start_ms` count in second 0.
pub fn per_second(samples: &[AckSample], start_ms: i64) -> Vec<Second> {
    let second_of = |at: i64| usize::try_from((at - start_ms).max(0) / 1_000).unwrap_or(0);
    let last = samples
        .iter()
        .map(|s| second_of(s.entered_at).max(second_of(s.acknowledged_at)))
        .max();
    let Some(last) = last else {
        return Vec::new();
    };
    let mut seconds = vec![Second::default(); last + 1];
    let mut latencies: Vec<Vec<i64>> = vec![Vec::new(); last + 1];
    for sample in samples {
        seconds[second_of(sample.entered_at)].entered += 1;
        let acknowledged = second_of(sample.acknowledged_at);
        seconds[acknowledged].acknowledged += 1;
        latencies[acknowledged].push(sample.latency_ms());
    }
    for (second, mut values) in seconds.iter_mut().zip(latencies) {
        if values.is_empty() {
            continue;
        }
        values.sort_unstable();
        second.p50_ms = Some(percentile(&values, 0.50));
        second.p99_ms = Some(percentile(&values, 0.99));
    }
    seconds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.50), 50);
        assert_eq!(percentile(&values, 0.99), 99);
        assert_eq!(percentile(&values, 1.0), 100);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn samples_fall_into_the_seconds_they_entered_and_were_acknowledged() {
        let sample = |entered_at, acknowledged_at| AckSample {
            entered_at,
            acknowledged_at,
        };
        let samples = [
            sample(10_000, 12_500),
            sample(10_900, 12_600),
            sample(11_000, 12_999),
            sample(9_000, 14_000),
        ];
        let seconds = per_second(&samples, 10_000);
        assert_eq!(seconds.len(), 5);
        assert_eq!(
            seconds.iter().map(|s| s.entered).collect::<Vec<_>>(),
            [3, 1, 0, 0, 0]
        );
        assert_eq!(
            seconds.iter().map(|s| s.acknowledged).collect::<Vec<_>>(),
            [0, 0, 3, 0, 1]
        );
        assert_eq!(seconds[2].p50_ms, Some(1_999));
        assert_eq!(seconds[2].p99_ms, Some(2_500));
        assert_eq!(seconds[3].p50_ms, None);
        assert_eq!(seconds[4].p99_ms, Some(5_000));
    }
}
