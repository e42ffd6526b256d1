//! `drain`: queue M users per connection, start the pipeline, and measure how fast it drains
//! against the sandbox's real write limits (7/s and 400/min per user). With
//! `--database-url`, the PostgreSQL form over several instances runs instead
//! (`drain_postgres`).

use std::time::{Duration, Instant};

use anyhow::ensure;
use pinsync_pipeline::PipelineSettings;
use serde_json::{Value, json};

use crate::sync_fixture::{self, RECORDS_PER_REQUEST, allowed_requests_per_second};

#[derive(clap::Args)]
pub struct Options {
    /// Connections (Pinterest users), each with its own Canvas and audience.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Users queued per connection before the pipeline starts.
    #[arg(long, default_value_t = 500_000)]
    users: u64,
    #[command(flatten)]
    postgres: crate::entry_postgres::PostgresRun,
}

pub async fn run(options: Options) -> anyhow::Result<Value> {
    ensure!(options.connections > 0, "--connections must be at least 1");
    if options.postgres.database_url.is_some() {
        return crate::drain_postgres::run(options.postgres, options.connections, options.users)
            .await;
    }
    let fixture = sync_fixture::start(options.connections, PipelineSettings::default()).await?;
    let queued_at = pinsync_store::now_millis() - 10_000;
    let chunk = 20_000;
    for canvas in &fixture.canvases {
        let mut first = 0;
        while first < options.users {
            let count = chunk.min(options.users - first);
            fixture.enter(*canvas, first, count, queued_at).await?;
            first += count;
        }
    }
    eprintln!(
        "queued {} users on {} connection(s)",
        options.users, options.connections
    );
    fixture.sandbox.sandbox.reset_stats();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let pipeline = fixture.pipeline.clone();
    let running = tokio::spawn(async move {
        pipeline
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    let started = Instant::now();
    while fixture.pending().await? > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    running.await?;

    let total = options.users * options.connections as u64;
    let records_per_s = total as f64 / elapsed;
    let allowed = allowed_requests_per_second(&fixture.sandbox.sandbox);
    let limit_records_per_s = RECORDS_PER_REQUEST * allowed * options.connections as f64;
    let limits = fixture.sandbox.sandbox.rate_limits();
    let users = fixture.user_stats();
    let over_limit_windows = sync_fixture::over_limit_windows(&users, &limits);
    let http_429: u64 = users.iter().map(|u| u.rate_limited).sum();
    Ok(json!({
        "scenario": "drain",
        "connections": options.connections,
        "users_per_connection": options.users,
        "seconds": elapsed,
        "records_per_s": records_per_s.round(),
        "limit_records_per_s": limit_records_per_s.round(),
        "ratio_to_limit": (records_per_s / limit_records_per_s * 1000.0).round() / 1000.0,
        "requests": users.iter().map(|u| u.requests).sum::<u64>(),
        "max_writes_in_1s": users.iter().map(|u| u.max_writes_in_1s).max().unwrap_or(0),
        "max_writes_in_60s": users.iter().map(|u| u.max_writes_in_60s).max().unwrap_or(0),
        "max_in_1s": users.iter().map(|u| u.max_in_1s).max().unwrap_or(0),
        "max_in_60s": users.iter().map(|u| u.max_in_60s).max().unwrap_or(0),
        "over_limit_windows": over_limit_windows,
        "http_429": http_429,
    }))
}
