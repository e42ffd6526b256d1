//! `pending-rss`: how much memory pinsync holds with millions of users pending. N users enter
//! a Canvas whose connection is paused (its token marked invalid), so every one stays pending
//! while the sync pipeline keeps running its loops: the due-partition scan every tick and
//! the status polls. Reports the peak RSS while entering and, separately, while holding the
//! backlog, plus the CPU the idle loops cost. The process holds the store, the pipeline and
//! the (idle) sandbox: what `pinsync serve` runs, minus the HTTP server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use pinsync_pipeline::{ConnectionDirectory, ConnectionEvent, ConnectionKey, PipelineSettings};
use serde_json::json;

use crate::charts_line::{Line, LineChart};
use crate::process_stats::{cpu_seconds, peak_rss_mb, reset_peak_rss, rss_mb};
use crate::run_record::{ChartData, Outcome};
use crate::sync_fixture;

#[derive(clap::Args)]
pub struct Options {
    /// Users entered (and left pending).
    #[arg(long, default_value_t = 1_000_000)]
    users: u64,
    /// Users per entry transaction.
    #[arg(long, default_value_t = 20_000)]
    chunk: u64,
    /// How long the loops run over the full backlog after the last user entered, in seconds.
    #[arg(long, default_value_t = 60)]
    hold_seconds: u64,
    /// Status poll interval while holding, in seconds (the default of `serve` is 600).
    #[arg(long, default_value_t = 10)]
    status_poll_seconds: u64,
}

/// The entry benchmark's memory goal (issue 7): peak RSS under 300 MB at 5 million users.
const GOAL_PEAK_RSS_MB: f64 = 300.0;

/// RSS and users entered, sampled every second.
struct Samples {
    started: Instant,
    points: Vec<(f64, f64, f64)>,
}

pub async fn run(options: Options) -> anyhow::Result<Outcome> {
    ensure!(options.users > 0, "--users must be at least 1");
    ensure!(options.chunk > 0, "--chunk must be at least 1");
    let settings = PipelineSettings {
        status_poll_interval: Duration::from_secs(options.status_poll_seconds),
        ..PipelineSettings::default()
    };
    let fixture = sync_fixture::start(1, settings).await?;
    fixture
        .directory
        .report(ConnectionEvent::InvalidToken {
            connection: ConnectionKey("bench-0".into()),
        })
        .await;
    let canvas = fixture.canvases[0];
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let pipeline = fixture.pipeline.clone();
    let running = tokio::spawn(async move {
        pipeline
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });

    let rss_before = rss_mb();
    let entered = Arc::new(AtomicU64::new(0));
    let samples = Arc::new(parking_lot::Mutex::new(Samples {
        started: Instant::now(),
        points: Vec::new(),
    }));
    let sampler = tokio::spawn(sample_every_second(entered.clone(), samples.clone()));

    let entry_started = Instant::now();
    let mut first = 0;
    while first < options.users {
        let count = options.chunk.min(options.users - first);
        fixture
            .enter(canvas, first, count, pinsync_store::now_millis())
            .await?;
        first += count;
        entered.store(first, Ordering::Relaxed);
        if first % 1_000_000 < count {
            eprintln!(
                "entered {first} users in {:.0}s, RSS {:.1} MB",
                entry_started.elapsed().as_secs_f64(),
                rss_mb()
            );
        }
    }
    let entry_seconds = entry_started.elapsed().as_secs_f64();
    let peak_entry = peak_rss_mb();

    let peak_was_reset = reset_peak_rss();
    let cpu_before_hold = cpu_seconds();
    let hold_started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.hold_seconds)).await;
    let hold_seconds = hold_started.elapsed().as_secs_f64();
    let hold_cpu = cpu_seconds() - cpu_before_hold;
    let peak_hold = peak_rss_mb();
    let rss_end = rss_mb();
    let pending = fixture.pending().await?;
    let _ = stop.send(());
    running.await?;
    sampler.abort();
    ensure!(
        pending == options.users,
        "{pending} users pending of {}: the paused connection sent or errored some",
        options.users
    );

    let database_mb = database_mb(fixture.store.path());
    let peak = peak_entry.max(peak_hold);
    let summary = json!({
        "scenario": "pending-rss",
        "users": options.users,
        "pending": pending,
        "entry_seconds": (entry_seconds * 10.0).round() / 10.0,
        "entered_per_s": (options.users as f64 / entry_seconds).round(),
        "rss_before_mb": round1(rss_before),
        "peak_rss_entry_mb": round1(peak_entry),
        "peak_rss_hold_mb": round1(peak_hold),
        "peak_was_reset": peak_was_reset,
        "rss_end_mb": round1(rss_end),
        "hold_seconds": round1(hold_seconds),
        "hold_cpu_share": (hold_cpu / hold_seconds * 1000.0).round() / 1000.0,
        "database_mb": round1(database_mb),
        "goal_peak_rss_mb": GOAL_PEAK_RSS_MB,
        "peak_to_goal": (peak / GOAL_PEAK_RSS_MB * 1000.0).round() / 1000.0,
    });
    let points = std::mem::take(&mut samples.lock().points);
    Ok(Outcome {
        summary,
        run: Some(format!("pending-rss-{}", options.users)),
        charts: charts(options.users, &points, entry_seconds),
    })
}

async fn sample_every_second(entered: Arc<AtomicU64>, samples: Arc<parking_lot::Mutex<Samples>>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        let users = entered.load(Ordering::Relaxed) as f64;
        let mut samples = samples.lock();
        let at = samples.started.elapsed().as_secs_f64();
        samples.points.push((at, rss_mb(), users));
    }
}

fn charts(users: u64, points: &[(f64, f64, f64)], entry_seconds: f64) -> Vec<ChartData> {
    let title =
        format!("{users} users pending: RSS (entry ends at {entry_seconds:.0} s, then loops only)");
    let rss = ChartData::Line {
        id: "rss".into(),
        chart: LineChart {
            title,
            x_label: "seconds since the first user entered".into(),
            y_label: "MB".into(),
            lines: vec![Line {
                name: "resident set size (MB)".into(),
                points: points.iter().map(|(at, rss, _)| (*at, *rss)).collect(),
            }],
        },
    };
    let entered = ChartData::Line {
        id: "entered".into(),
        chart: LineChart {
            title: format!("{users} users pending: users entered (paused connection)"),
            x_label: "seconds since the first user entered".into(),
            y_label: "users pending".into(),
            lines: vec![Line {
                name: "users entered".into(),
                points: points.iter().map(|(at, _, users)| (*at, *users)).collect(),
            }],
        },
    };
    vec![rss, entered]
}

/// The database, its WAL and shared memory, in MB.
fn database_mb(path: &std::path::Path) -> f64 {
    let size = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::fs::metadata(name).map_or(0, |m| m.len())
    };
    (size("") + size("-wal") + size("-shm")) as f64 / 1024.0 / 1024.0
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
