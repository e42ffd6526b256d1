//! The `entry` scenario on PostgreSQL (`entry --database-url postgres://… --instances N`):
//! N real `pinsync serve` processes on one fresh PostgreSQL database, connected to the sandbox
//! through OAuth, with one launched Canvas whose first step adds users to a new audience. The
//! users are split evenly among the instances, and each instance gets its share as bulk entry
//! requests over HTTP, all instances at once. The rate counts every user entered and durably
//! handed to the pipeline (the step's `entered` in the analytics), from the first request to
//! the last answer. By default the instances do not deliver meanwhile
//! (`PINSYNC_PIPELINE_DELIVER=false`, API-only instances; the SQLite form runs no pipeline
//! either); with `--deliver` their pipelines drain to the sandbox during the entry.
//! Goal (issue 8): 30,000 users/s with two instances on this 2-core machine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use pinsync_store::postgres::databases;
use serde_json::{Value, json};

use crate::process_stats::peak_rss_mb_of;
use crate::soak::api::Api;
use crate::soak::entry::{EntryTotals, enter_all};
use crate::soak::population::Population;
use crate::soak::setup;

const GOAL_USERS_PER_S: f64 = 30_000.0;
const STEP: &str = "add";

/// The options of a scenario's PostgreSQL form (`entry`, `drain`), shared by both.
#[derive(clap::Args)]
pub struct PostgresRun {
    /// Run on PostgreSQL instead: real `pinsync serve` processes on a fresh database created
    /// on this server (e.g. postgres://postgres@127.0.0.1:5432/postgres) and dropped after.
    #[arg(long)]
    pub database_url: Option<String>,
    /// With --database-url: how many `pinsync serve` instances share the work.
    #[arg(long, default_value_t = 2)]
    pub instances: usize,
    /// With --database-url: users per bulk-entry request.
    #[arg(long, default_value_t = 50_000)]
    pub request_users: u64,
    /// With --database-url: the pinsync binary (default: `pinsync` next to this binary).
    #[arg(long)]
    pub pinsync_bin: Option<PathBuf>,
}

impl PostgresRun {
    /// The server URL given with --database-url.
    pub fn server_url(&self) -> anyhow::Result<&str> {
        self.database_url
            .as_deref()
            .context("the PostgreSQL form needs --database-url")
    }
}

fn canvas_definition() -> Value {
    json!({
        "name": "Bulk entry benchmark (PostgreSQL)",
        "entry_step_id": STEP,
        "steps": [{
            "id": STEP, "name": "Add to audience", "type": "audience_sync",
            "partner": "pinterest", "ad_account_id": setup::AD_ACCOUNT,
            "audience": {"new": {"name": "entry benchmark"}},
            "action": "add", "match_fields": ["email"], "next": null
        }]
    })
}

/// A fresh database on the server of `admin_url` (its name and URL), dropped by
/// [`drop_database`].
pub(crate) async fn create_database(admin_url: &str) -> anyhow::Result<(String, String)> {
    let name = format!(
        "pinsync_bench_entry_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
    );
    let url = databases::create_database(admin_url, &name)
        .await
        .with_context(|| format!("cannot create a database at {}", redacted(admin_url)))?;
    Ok((name, url))
}

pub(crate) async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    databases::drop_database(admin_url, name).await?;
    Ok(())
}

/// The settings every instance shares: the database and one token-encryption key (without
/// it each instance would encrypt with its own data directory's key, and could not read the
/// tokens another instance stored).
pub(crate) fn instance_env(database_url: &str) -> Vec<(String, String)> {
    let key: [u8; 32] = rand::random();
    vec![
        ("PINSYNC_DATABASE_URL".to_owned(), database_url.to_owned()),
        ("PINSYNC_SECRET_KEY".to_owned(), hex::encode(key)),
    ]
}

/// The URL with any password replaced, for messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparsable URL>".into(),
    }
}

/// Enters `users` through `run.instances` instances; with `deliver`, they also send to the
/// sandbox meanwhile.
pub async fn run(run: PostgresRun, users: u64, deliver: bool) -> anyhow::Result<Value> {
    ensure!(run.instances >= 1, "--instances must be at least 1");
    ensure!(users > 0, "--users must be at least 1");
    let server = run.server_url()?.to_owned();
    let (database, url) = create_database(&server).await?;
    let outcome = measure(&run, users, deliver, &url).await;
    if let Err(error) = drop_database(&server, &database).await {
        eprintln!("entry: could not drop the database {database}: {error:#}");
    }
    outcome
}

async fn measure(
    options: &PostgresRun,
    users: u64,
    deliver: bool,
    url: &str,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(3_600);
    let mut env = instance_env(url);
    if !deliver {
        env.push(("PINSYNC_PIPELINE_DELIVER".to_owned(), "false".to_owned()));
    }
    let mut soak = setup::start(
        options.pinsync_bin.clone(),
        false,
        setup::sandbox_config(),
        env,
    )
    .await?;
    let canvas = soak.api.create_canvas(&canvas_definition()).await?;
    soak.api.create_step_audience(&canvas, STEP).await?;
    soak.api.launch(&canvas).await?;

    let work = tempfile::Builder::new()
        .prefix("pinsync-entry-pg-")
        .tempdir()?;
    let mut others = Vec::new();
    for n in 1..options.instances {
        let dir = work.path().join(format!("instance-{n}"));
        std::fs::create_dir_all(&dir)?;
        others.push(soak.start_another_instance(&dir).await?);
    }
    let key = soak.api.key().to_owned();
    let mut apis = vec![soak.api.clone()];
    for other in &others {
        apis.push(Arc::new(Api::new(other.base_url(), key.clone())?));
    }

    // Each instance gets one contiguous share of the population.
    let share = users.div_ceil(options.instances as u64);
    let started = Instant::now();
    let mut sending = Vec::new();
    for (i, api) in apis.iter().enumerate() {
        let first = i as u64 * share;
        let last = (first + share).min(users);
        let population = Population::new("pg-entry", first..last);
        sending.push(tokio::spawn(enter_all(
            api.clone(),
            canvas.clone(),
            population,
            options.request_users,
            deadline,
        )));
    }
    let mut per_instance: Vec<EntryTotals> = Vec::new();
    for task in sending {
        per_instance.push(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();

    let entered: u64 = per_instance.iter().map(|t| t.entered).sum();
    let analytics = soak.api.analytics(&canvas).await?;
    let step = &analytics.steps[STEP];
    let handed_over = step["entered"].as_u64().unwrap_or(0);
    ensure!(
        entered == users && handed_over == users,
        "{entered} users acknowledged and {handed_over} entered the step, of {}",
        users
    );
    let mut peak_rss = vec![soak.server.pid().map_or(0.0, peak_rss_mb_of)];
    peak_rss.extend(others.iter().map(|o| o.pid().map_or(0.0, peak_rss_mb_of)));
    for mut other in others {
        other.stop().await?;
    }
    soak.server.stop().await?;

    let users_per_s = users as f64 / seconds;
    eprintln!(
        "entered {} users through {} instances on PostgreSQL in {seconds:.2}s: {users_per_s:.0} users/s (goal {GOAL_USERS_PER_S:.0})",
        users, options.instances
    );
    let round = |value: f64| (value * 10.0).round() / 10.0;
    Ok(json!({
        "scenario": "entry-postgres",
        "instances": options.instances,
        "deliver": deliver,
        "users": users,
        "seconds": (seconds * 100.0).round() / 100.0,
        "users_per_s": users_per_s.round(),
        "goal_users_per_s": GOAL_USERS_PER_S,
        "ratio_to_limit": (users_per_s / GOAL_USERS_PER_S * 100.0).round() / 100.0,
        "request_users": options.request_users,
        "synced_meanwhile": step["synced"].as_u64().unwrap_or(0),
        "peak_rss_mb_per_instance": peak_rss.into_iter().map(round).collect::<Vec<_>>(),
        "per_instance_seconds": per_instance.iter().map(|t| round(t.seconds)).collect::<Vec<_>>(),
    }))
}
