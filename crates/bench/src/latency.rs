//! `latency`: users enter at a steady offered rate (every 100 ms, a tenth of a second's worth,
//! spread over the connections' Canvases) while the sync pipeline runs; measures, per user,
//! the time from entering the audience-sync step to Pinterest's acknowledgement of its
//! request, the rate actually achieved, and the time series the report charts.

use std::time::{Duration, Instant};

use anyhow::ensure;
use pinsync_pipeline::PipelineSettings;
use serde_json::json;

use crate::charts_line::{Line, LineChart};
use crate::latency_series::{AckSample, Second, per_second};
use crate::run_record::{ChartData, Outcome};
use crate::sync_fixture::{self, RECORDS_PER_REQUEST, allowed_requests_per_second};

#[derive(clap::Args)]
pub struct Options {
    /// Users offered per second.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// How long users keep entering, in seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Connections (Pinterest tokens), each with its own Canvas; users are spread evenly.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Give up waiting for the backlog this long after the last user entered, in seconds.
    #[arg(long, default_value_t = 300)]
    drain_timeout: u64,
}

/// Users are entered every this often, a tenth of a second's worth at a time.
const ENTRY_TICK: Duration = Duration::from_millis(100);
const TICKS_PER_SECOND: u64 = 10;
/// The latency goal of the sync pipeline (issue 8): p99 ≤ 5.5 s.
const GOAL_P99_MS: i64 = 5_500;

pub async fn run(options: Options) -> anyhow::Result<Outcome> {
    ensure!(options.rate >= 10, "--rate must be at least 10");
    ensure!(options.connections > 0, "--connections must be at least 1");
    let fixture = sync_fixture::start(options.connections, PipelineSettings::default()).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let pipeline = fixture.pipeline.clone();
    let running = tokio::spawn(async move {
        pipeline
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });

    let started_ms = pinsync_store::now_millis();
    let started = Instant::now();
    let ticks = options.seconds * TICKS_PER_SECOND;
    let mut interval = tokio::time::interval(ENTRY_TICK);
    let mut next_user = 0;
    let mut max_lag = Duration::ZERO;
    for tick in 0..ticks {
        interval.tick().await;
        let scheduled = ENTRY_TICK * u32::try_from(tick)?;
        max_lag = max_lag.max(started.elapsed().saturating_sub(scheduled));
        // Users due by the end of this tick, so that rates not divisible by 10 still add up.
        let due = (tick + 1) * options.rate / TICKS_PER_SECOND;
        let count = due - next_user;
        let now = pinsync_store::now_millis();
        for (index, canvas) in fixture.canvases.iter().enumerate() {
            let share = share_of(count, fixture.canvases.len(), index);
            if share > 0 {
                fixture.enter(*canvas, next_user, share, now).await?;
                next_user += share;
            }
        }
    }
    let offering_seconds = started.elapsed().as_secs_f64();
    let achieved_rate = next_user as f64 / offering_seconds.max(options.seconds as f64);
    eprintln!(
        "offered {next_user} users in {offering_seconds:.1}s ({achieved_rate:.0} users/s); waiting for the backlog"
    );

    let deadline = Instant::now() + Duration::from_secs(options.drain_timeout);
    let mut unfinished = fixture.pending().await?;
    while unfinished > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        unfinished = fixture.pending().await?;
    }
    let total_seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    running.await?;

    let samples = acknowledgements(&fixture)?;
    ensure!(!samples.is_empty(), "no user was acknowledged");
    let mut latencies: Vec<i64> = samples.iter().map(AckSample::latency_ms).collect();
    latencies.sort_unstable();
    let percentile = |p: f64| crate::latency_series::percentile(&latencies, p);
    let allowed = allowed_requests_per_second(&fixture.sandbox.sandbox);
    let limit = RECORDS_PER_REQUEST * allowed * options.connections as f64;
    let p99 = percentile(0.99);
    let summary = json!({
        "scenario": "latency",
        "rate": options.rate,
        "seconds": options.seconds,
        "connections": options.connections,
        "users": next_user,
        "acknowledged": latencies.len(),
        "unfinished": unfinished,
        "achieved_rate": achieved_rate.round(),
        "max_entry_lag_ms": u64::try_from(max_lag.as_millis()).unwrap_or(u64::MAX),
        "p50_ms": percentile(0.50),
        "p99_ms": p99,
        "max_ms": latencies[latencies.len() - 1],
        "goal_p99_ms": GOAL_P99_MS,
        "p99_within_goal": p99 <= GOAL_P99_MS && unfinished == 0,
        "total_seconds": (total_seconds * 10.0).round() / 10.0,
        "limit_records_per_s": limit.round(),
        "offered_to_limit": (options.rate as f64 / limit * 1000.0).round() / 1000.0,
    });
    let charts = charts(&options, &samples, started_ms, limit);
    Ok(Outcome {
        summary,
        run: Some(format!("latency-{}", options.rate)),
        charts,
    })
}

/// `count` users split over `parts`, the first ones taking the remainder.
fn share_of(count: u64, parts: usize, index: usize) -> u64 {
    let parts = parts as u64;
    count / parts + u64::from((index as u64) < count % parts)
}

fn charts(options: &Options, samples: &[AckSample], started_ms: i64, limit: f64) -> Vec<ChartData> {
    let seconds = per_second(samples, started_ms);
    let to_points = |value: fn(&Second) -> Option<f64>| {
        seconds
            .iter()
            .enumerate()
            .filter_map(|(at, second)| value(second).map(|v| (at as f64, v)))
            .collect::<Vec<_>>()
    };
    let mut throughput = vec![
        Line {
            name: "entered users/s".into(),
            points: to_points(|s| Some(s.entered as f64)),
        },
        Line {
            name: "acknowledged users/s".into(),
            points: to_points(|s| Some(s.acknowledged as f64)),
        },
    ];
    if options.rate as f64 * 4.0 >= limit {
        throughput.push(Line {
            name: format!("token limit ({limit:.0}/s)"),
            points: vec![(0.0, limit), (seconds.len() as f64, limit)],
        });
    }
    let latency = vec![
        Line {
            name: "p50 ms".into(),
            points: to_points(|s| s.p50_ms.map(|v| v as f64)),
        },
        Line {
            name: "p99 ms".into(),
            points: to_points(|s| s.p99_ms.map(|v| v as f64)),
        },
    ];
    vec![
        ChartData::Line {
            id: "throughput".into(),
            chart: LineChart {
                title: format!("latency at {} users/s offered: throughput", options.rate),
                x_label: "seconds since the first user entered".into(),
                y_label: "users per second".into(),
                lines: throughput,
            },
        },
        ChartData::Line {
            id: "latency".into(),
            chart: LineChart {
                title: format!(
                    "latency at {} users/s offered: entry → acknowledgement",
                    options.rate
                ),
                x_label: "second of acknowledgement".into(),
                y_label: "ms".into(),
                lines: latency,
            },
        },
    ]
}

/// (entered, acknowledged) of every acknowledged user, from the request log the pipeline
/// keeps for user traces.
fn acknowledgements(fixture: &sync_fixture::SyncFixture) -> anyhow::Result<Vec<AckSample>> {
    let conn = rusqlite::Connection::open(fixture.store.path())?;
    let mut statement = conn.prepare(
        "SELECT v.entered_at, a.at FROM sync_attempts a
         JOIN journey_visits v ON v.journey_id = a.journey_id AND v.seq = a.visit_seq
         WHERE a.outcome = 'success'",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(AckSample {
            entered_at: row.get(0)?,
            acknowledged_at: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::share_of;

    #[test]
    fn shares_add_up_to_the_count() {
        for (count, parts) in [(1_000, 1), (1_000, 3), (7, 4), (0, 2)] {
            let total: u64 = (0..parts).map(|i| share_of(count, parts, i)).sum();
            assert_eq!(total, count);
        }
        assert_eq!(share_of(7, 4, 0), 2);
        assert_eq!(share_of(7, 4, 3), 1);
    }
}
