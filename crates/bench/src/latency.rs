//! `latency`: users enter at a steady rate on one connection; measures, per user, the time
//! from entering the audience-sync step to Pinterest's acknowledgement of its request.

use std::time::Duration;

use anyhow::ensure;
use pinsync_pipeline::PipelineSettings;
use serde_json::{Value, json};

use crate::sync_fixture;

#[derive(clap::Args)]
pub struct Options {
    /// Users entering per second.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// How long users keep entering, in seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
}

/// Users are entered every this often, `rate / 10` at a time.
const ENTRY_TICK: Duration = Duration::from_millis(100);

pub async fn run(options: Options) -> anyhow::Result<Value> {
    ensure!(options.rate >= 10, "--rate must be at least 10");
    let fixture = sync_fixture::start(1, PipelineSettings::default()).await?;
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

    let per_tick = options.rate / 10;
    let ticks = options.seconds * 10;
    let mut interval = tokio::time::interval(ENTRY_TICK);
    for tick in 0..ticks {
        interval.tick().await;
        let now = pinsync_store::now_millis();
        fixture
            .enter(canvas, tick * per_tick, per_tick, now)
            .await?;
    }
    while fixture.pending().await? > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    running.await?;

    let mut latencies = acknowledgement_latencies(&fixture)?;
    ensure!(!latencies.is_empty(), "no user was acknowledged");
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index]
    };
    Ok(json!({
        "scenario": "latency",
        "rate": options.rate,
        "seconds": options.seconds,
        "users": latencies.len(),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": latencies[latencies.len() - 1],
    }))
}

/// Entered step → acknowledged, from the request log the pipeline keeps for user traces.
fn acknowledgement_latencies(fixture: &sync_fixture::SyncFixture) -> anyhow::Result<Vec<i64>> {
    let conn = rusqlite::Connection::open(fixture.store.path())?;
    let mut statement = conn.prepare(
        "SELECT a.at - v.entered_at FROM sync_attempts a
         JOIN journey_visits v ON v.journey_id = a.journey_id AND v.seq = a.visit_seq
         WHERE a.outcome = 'success'",
    )?;
    let rows = statement.query_map([], |row| row.get::<_, i64>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
