//! `hashing`: identifier normalization + SHA-256 (email, GAID, IDFA) and the records encoder
//! (PATCH bodies of 1,900 digests), per core, against what one Pinterest token's drain needs
//! (1,900 records × 7 requests/s). Rates per core are counted in this thread's CPU time, so
//! a busy machine slows the run down but not the figure; the all-cores email rate is wall
//! clock.

use std::time::{Duration, Instant};

use pinsync_core::identifier::IdentifierKind;
use serde_json::json;

use crate::charts_bar::{BarChart, BarSeries};
use crate::hashing_workload::{
    RECORDS_PER_REQUEST, digests, encode_body, hash_one, raw_identifiers,
};
use crate::process_stats::thread_cpu_seconds;
use crate::run_record::{ChartData, Outcome};

#[derive(clap::Args)]
pub struct Options {
    /// CPU seconds spent on each measurement.
    #[arg(long, default_value_t = 3.0)]
    cpu_seconds: f64,
}

/// Distinct identifiers cycled through (fits in cache like a chunk of an import does).
const DISTINCT_IDENTIFIERS: usize = 65_536;
/// Requests per second per token, and the records one token's drain needs hashed.
const REQUESTS_PER_TOKEN_S: f64 = 7.0;
const RECORDS_PER_TOKEN_S: f64 = RECORDS_PER_REQUEST as f64 * REQUESTS_PER_TOKEN_S;

pub async fn run(options: Options) -> anyhow::Result<Outcome> {
    let budget = options.cpu_seconds;
    let outcome = tokio::task::spawn_blocking(move || measure(budget)).await?;
    Ok(outcome)
}

fn measure(budget: f64) -> Outcome {
    let email = per_core(budget, IdentifierKind::Email);
    let gaid = per_core(budget, IdentifierKind::Gaid);
    let idfa = per_core(budget, IdentifierKind::Idfa);
    let encoder = encoder_per_core(budget);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let email_all_cores = all_cores(threads, Duration::from_secs_f64(budget));
    let core_share_per_token = RECORDS_PER_TOKEN_S / email + REQUESTS_PER_TOKEN_S / encoder;
    let summary = json!({
        "scenario": "hashing",
        "email_per_core_s": email.round(),
        "gaid_per_core_s": gaid.round(),
        "idfa_per_core_s": idfa.round(),
        "encoder_requests_per_core_s": encoder.round(),
        "encoder_records_per_core_s": (encoder * RECORDS_PER_REQUEST as f64).round(),
        "threads": threads,
        "email_all_cores_s": email_all_cores.round(),
        "need_records_per_token_s": RECORDS_PER_TOKEN_S,
        "email_to_need": (email / RECORDS_PER_TOKEN_S).round(),
        "encoder_to_need": (encoder / REQUESTS_PER_TOKEN_S).round(),
        "core_share_per_token": (core_share_per_token * 100_000.0).round() / 100_000.0,
    });
    let chart = BarChart {
        title: "Hashing and encoding per core vs one token's need".into(),
        x_label: "work".into(),
        y_label: "records per second per core".into(),
        categories: vec![
            "email".into(),
            "GAID".into(),
            "IDFA".into(),
            "encoder (records)".into(),
        ],
        series: vec![
            BarSeries {
                name: "measured".into(),
                values: vec![email, gaid, idfa, encoder * RECORDS_PER_REQUEST as f64],
            },
            BarSeries {
                name: "one token needs (1,900 × 7/s)".into(),
                values: vec![RECORDS_PER_TOKEN_S; 4],
            },
        ],
    };
    Outcome {
        summary,
        run: None,
        charts: vec![ChartData::Bar {
            id: "per-core".into(),
            chart,
        }],
    }
}

/// Runs `work` (which does `ops` operations per call) until `budget` CPU seconds of this
/// thread are spent; operations per CPU second.
fn per_cpu_second(budget: f64, ops: u64, mut work: impl FnMut(u64)) -> f64 {
    let start = thread_cpu_seconds();
    let mut done = 0;
    let mut round = 0;
    loop {
        work(round);
        round += 1;
        done += ops;
        let spent = thread_cpu_seconds() - start;
        if spent >= budget {
            return done as f64 / spent;
        }
    }
}

fn per_core(budget: f64, kind: IdentifierKind) -> f64 {
    let raw = raw_identifiers(kind, DISTINCT_IDENTIFIERS);
    per_cpu_second(budget, raw.len() as u64, |_| {
        for identifier in &raw {
            std::hint::black_box(hash_one(kind, std::hint::black_box(identifier)));
        }
    })
}

/// PATCH bodies encoded per CPU second.
fn encoder_per_core(budget: f64) -> f64 {
    let records = digests();
    per_cpu_second(budget, 100, |_| {
        for _ in 0..100 {
            std::hint::black_box(encode_body(std::hint::black_box(&records)));
        }
    })
}

/// Emails hashed per wall-clock second by `threads` threads together.
fn all_cores(threads: usize, duration: Duration) -> f64 {
    let raw = raw_identifiers(IdentifierKind::Email, DISTINCT_IDENTIFIERS);
    let started = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = 0u64;
                    while started.elapsed() < duration {
                        for identifier in &raw {
                            std::hint::black_box(hash_one(IdentifierKind::Email, identifier));
                        }
                        done += raw.len() as u64;
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use pinsync_core::identifier::IdentifierKind;

    use crate::hashing_workload::{
        RECORDS_PER_REQUEST, digests, encode_body, hash_one, raw_identifiers,
    };

    #[test]
    fn every_workload_identifier_is_accepted_and_distinct() {
        for kind in [
            IdentifierKind::Email,
            IdentifierKind::Gaid,
            IdentifierKind::Idfa,
        ] {
            let hashed: std::collections::HashSet<_> = raw_identifiers(kind, 1_000)
                .iter()
                .map(|raw| hash_one(kind, raw))
                .collect();
            assert_eq!(hashed.len(), 1_000, "{kind:?}");
        }
    }

    #[test]
    fn the_body_holds_every_record() {
        let records = digests();
        assert_eq!(records.len(), RECORDS_PER_REQUEST);
        // 1,900 × 64 hex + 1,899 commas + the JSON around them.
        let length = encode_body(&records);
        assert!(length > 1_900 * 65 && length < 1_900 * 65 + 100, "{length}");
    }
}
