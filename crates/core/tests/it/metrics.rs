//! Metric names follow the `pinsync_` convention and step metrics have stable names.

use pinsync_core::metrics::{self, StepMetric};

#[test]
fn every_metric_name_is_prefixed_snake_case_and_unique() {
    let mut names = metrics::ALL_METRIC_NAMES.to_vec();
    for name in &names {
        assert!(name.starts_with("pinsync_"), "{name}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{name}"
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), metrics::ALL_METRIC_NAMES.len());
}

#[test]
fn counters_end_in_total_and_durations_in_seconds() {
    assert!(metrics::HTTP_REQUESTS_TOTAL.ends_with("_total"));
    assert!(metrics::SYNC_RETRIES_TOTAL.ends_with("_total"));
    assert!(metrics::SYNC_LIMITER_WAIT_SECONDS.ends_with("_seconds"));
    assert!(metrics::SYNC_END_TO_END_LATENCY_SECONDS.ends_with("_seconds"));
}

#[test]
fn step_metric_names_match_serde_and_parse_back() {
    let names: Vec<&str> = StepMetric::ALL
        .iter()
        .map(|metric| metric.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "entered",
            "proceeded",
            "synced",
            "not_synced",
            "pending",
            "errored",
            "exited"
        ]
    );
    for &metric in StepMetric::ALL {
        let serde_name = serde_json::to_value(metric).unwrap();
        assert_eq!(
            serde_name,
            serde_json::Value::String(metric.as_str().to_owned())
        );
        assert_eq!(metric.to_string(), metric.as_str());
        assert_eq!(StepMetric::parse(metric.as_str()), Some(metric));
    }
}
