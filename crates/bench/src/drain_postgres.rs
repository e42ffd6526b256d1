//! The `drain` scenario on PostgreSQL (`drain --database-url postgres://… --instances N
//! --connections C --users M`): N real `pinsync serve` processes on one fresh database and C
//! Pinterest connections (tenant 0 is `sandbox-alice` in the default workspace, tenant n a
//! sandbox user of its own in workspace `bench-n`), each tenant with a launched Canvas that
//! adds its M users to its own new audience.
//!
//! Phase 1 queues the backlog: the instances run with delivery off
//! (`PINSYNC_PIPELINE_DELIVER=false`) while the users enter in bulk over HTTP, tenant n
//! through instance n mod N. Phase 2 restarts every instance with delivery on, all at once,
//! so the connections' leases spread over them by fair share, and times the drain: per token,
//! M users from the restart to its last write (start-up and lease taking included), against
//! 1,900 records × the sandbox's allowed request rate (the tightest of its write windows).
//! The sandbox's per-token window statistics give the largest 1 s and 60 s counts and the
//! 429s; each instance's `/metrics` says how many connections it owned.
//! Goal (issue 8): at least 97% of the limit per token with the work spread over instances.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use crate::entry_postgres::{PostgresRun, create_database, drop_database};
use crate::soak::api::Api;
use crate::soak::entry::enter_all;
use crate::soak::population::Population;
use crate::soak::sandbox::Kind;
use crate::soak::server::PinsyncProcess;
use crate::soak::setup;
use crate::sync_fixture::{
    RECORDS_PER_REQUEST, account_id, add_bench_users, allowed_requests_per_second,
    over_limit_windows, user_name,
};

const STEP: &str = "add";

/// One Pinterest connection with its Canvas.
struct Tenant {
    api: Arc<Api>,
    canvas: String,
    list: String,
}

fn canvas_definition(account: &str) -> Value {
    json!({
        "name": "Drain benchmark (PostgreSQL)",
        "entry_step_id": STEP,
        "steps": [{
            "id": STEP, "name": "Add to audience", "type": "audience_sync",
            "partner": "pinterest", "ad_account_id": account,
            "audience": {"new": {"name": "drain benchmark"}},
            "action": "add", "match_fields": ["email"], "next": null
        }]
    })
}

/// Drains `users` users on each of `connections` connections through `run.instances`
/// instances.
pub async fn run(run: PostgresRun, connections: usize, users: u64) -> anyhow::Result<Value> {
    ensure!(run.instances >= 1, "--instances must be at least 1");
    ensure!(connections >= 1, "--connections must be at least 1");
    let server = run.server_url()?.to_owned();
    let (database, url) = create_database(&server).await?;
    let outcome = measure(&run, connections, users, &url).await;
    if let Err(error) = drop_database(&server, &database).await {
        eprintln!("drain: could not drop the database {database}: {error:#}");
    }
    outcome
}

async fn tenant(api: Arc<Api>, account: &str) -> anyhow::Result<Tenant> {
    let canvas = api.create_canvas(&canvas_definition(account)).await?;
    let (_audience, list) = api.create_step_audience(&canvas, STEP).await?;
    api.launch(&canvas).await?;
    Ok(Tenant { api, canvas, list })
}

/// `pinsync_sync_connections_owned` from an instance's `/metrics`.
async fn connections_owned(base_url: &str) -> anyhow::Result<u64> {
    let text = reqwest::get(format!("{base_url}/metrics"))
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix("pinsync_sync_connections_owned "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map_or(0, |value| value as u64))
}

async fn measure(
    options: &PostgresRun,
    connections: usize,
    users: u64,
    url: &str,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(3_600);
    let mut config = setup::sandbox_config();
    add_bench_users(&mut config, 1..connections);
    // Phase 1: every instance serves the API and enters users, none delivers.
    let mut env = crate::entry_postgres::instance_env(url);
    env.push(("PINSYNC_PIPELINE_DELIVER".to_owned(), "false".to_owned()));
    let mut soak = setup::start(options.pinsync_bin.clone(), false, config, env).await?;

    let mut tenants = vec![tenant(soak.api.clone(), setup::AD_ACCOUNT).await?];
    for n in 1..connections {
        let key = soak
            .server
            .create_api_key_in(Some(&format!("bench-{n}")))
            .await?;
        let api = Arc::new(Api::new(soak.server.base_url(), key)?);
        api.connect_pinterest(&soak.sandbox, &user_name(n), &[&account_id(n)])
            .await?;
        tenants.push(tenant(api, &account_id(n)).await?);
    }
    let work = tempfile::Builder::new()
        .prefix("pinsync-drain-pg-")
        .tempdir()?;
    let mut others: Vec<PinsyncProcess> = Vec::new();
    for n in 1..options.instances {
        let dir = work.path().join(format!("instance-{n}"));
        std::fs::create_dir_all(&dir)?;
        others.push(soak.start_another_instance(&dir).await?);
    }
    let mut bases = vec![soak.server.base_url()];
    bases.extend(others.iter().map(PinsyncProcess::base_url));

    let entry_started = Instant::now();
    let mut sending = Vec::new();
    for (n, tenant) in tenants.iter().enumerate() {
        let api = Arc::new(Api::new(
            bases[n % bases.len()].clone(),
            tenant.api.key().to_owned(),
        )?);
        let population = Population::new("pg-drain", 0..users);
        sending.push(tokio::spawn(enter_all(
            api,
            tenant.canvas.clone(),
            population,
            options.request_users,
            deadline,
        )));
    }
    for task in sending {
        let totals = task.await??;
        ensure!(
            totals.entered == users,
            "only {} of {} users entered",
            totals.entered,
            users
        );
    }
    let entry_s = entry_started.elapsed().as_secs_f64();

    // Phase 2: the same instances restarted with delivery on, all at once, so each counts
    // the others in its fair share of the connections; the backlog drains.
    let mut all: Vec<&mut PinsyncProcess> = std::iter::once(&mut soak.server)
        .chain(others.iter_mut())
        .collect();
    for process in all.iter_mut() {
        process.stop().await?;
        process
            .env
            .retain(|(name, _)| name != "PINSYNC_PIPELINE_DELIVER");
    }
    soak.sandbox.sandbox.reset_stats();
    let restarted = soak.sandbox.elapsed();
    let drain_started = Instant::now();
    futures_util::future::try_join_all(all.into_iter().map(|process| process.start())).await?;
    for tenant in &tenants {
        loop {
            let analytics = tenant.api.analytics(&tenant.canvas).await?;
            if analytics.unfinished() == 0 {
                ensure!(
                    analytics.steps[STEP]["synced"].as_u64() == Some(users),
                    "not every user was synced: {}",
                    analytics.json
                );
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "the drain did not finish in time"
            );
            // The figures come from the sandbox's arrival log, so a slow poll costs no
            // precision, and it keeps the analytics queries off the database being measured.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let drain_s = drain_started.elapsed().as_secs_f64();
    let mut owned = Vec::new();
    for base in &bases {
        owned.push(connections_owned(base).await.unwrap_or(0));
    }
    let arrivals = soak.sandbox.arrivals();
    let allowed = allowed_requests_per_second(&soak.sandbox.sandbox);
    let stats = soak.sandbox.sandbox.stats().users;
    let limits = soak.sandbox.sandbox.rate_limits();
    for mut other in others {
        other.stop().await?;
    }
    soak.server.stop().await?;

    let limit_records_per_s = allowed * RECORDS_PER_REQUEST;
    let mut per_connection = Vec::new();
    let mut worst_ratio = f64::INFINITY;
    for (n, tenant) in tenants.iter().enumerate() {
        let writes: Vec<Duration> = arrivals
            .iter()
            .filter(|a| a.kind == Kind::Write && a.path.contains(&tenant.list) && a.at >= restarted)
            .map(|a| a.at)
            .collect();
        let first = *writes.first().context("no write reached the list")?;
        let last = *writes.last().context("no write reached the list")?;
        // From the restart to the last write: start-up, lease taking and the whole drain.
        let seconds = (last - restarted).as_secs_f64();
        let records_per_s = users as f64 / seconds;
        let ratio = records_per_s / limit_records_per_s;
        worst_ratio = worst_ratio.min(ratio);
        // The steady rate once sending: requests after the first, over the time they took.
        let steady = match writes.len() {
            0 | 1 => f64::NAN,
            n => (n - 1) as f64 / (last - first).as_secs_f64() / allowed,
        };
        per_connection.push(json!({
            "connection": n,
            "requests": writes.len(),
            "first_write_s": round((first - restarted).as_secs_f64()),
            "last_write_s": round(seconds),
            "records_per_s": records_per_s.round(),
            "ratio_to_limit": (ratio * 1000.0).round() / 1000.0,
            "steady_ratio_from_first_write": (steady * 1000.0).round() / 1000.0,
        }));
    }
    let over_limit_windows = over_limit_windows(&stats, &limits);
    let http_429: u64 = stats.iter().map(|u| u.rate_limited).sum();
    eprintln!(
        "drained {} users on {} connections through {} instances: worst token at {:.3} of its limit; connections owned per instance {owned:?}",
        users * connections as u64,
        connections,
        options.instances,
        worst_ratio
    );
    Ok(json!({
        "scenario": "drain-postgres",
        "instances": options.instances,
        "connections": connections,
        "users_per_connection": users,
        "entry_s": round(entry_s),
        "drain_s": round(drain_s),
        "limit_records_per_s": limit_records_per_s.round(),
        "ratio_to_limit": (worst_ratio * 1000.0).round() / 1000.0,
        "connections_owned_per_instance": owned,
        "per_connection": per_connection,
        "max_writes_in_1s": stats.iter().map(|u| u.max_writes_in_1s).max().unwrap_or(0),
        "max_writes_in_60s": stats.iter().map(|u| u.max_writes_in_60s).max().unwrap_or(0),
        "max_in_1s": stats.iter().map(|u| u.max_in_1s).max().unwrap_or(0),
        "max_in_60s": stats.iter().map(|u| u.max_in_60s).max().unwrap_or(0),
        "over_limit_windows": over_limit_windows,
        "http_429": http_429,
    }))
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
