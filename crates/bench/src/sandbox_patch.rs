//! The `sandbox-patch` scenario: how many customer-list PATCH requests of 1,900 hashed records
//! per second the sandbox answers over real HTTP, against a goal of 300.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use bytes::Bytes;
use pinsync_sandbox::{RateLimitConfig, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const GOAL_REQUESTS_PER_S: f64 = 300.0;
const RECORDS_PER_REQUEST: usize = 1_900;
/// Distinct request bodies cycled through; bounds the list's membership (and memory).
const DISTINCT_BATCHES: usize = 32;

#[derive(clap::Args)]
pub struct Options {
    /// How long to send requests, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

/// Builds `DISTINCT_BATCHES` PATCH bodies, alternating ADD and REMOVE, of SHA-256 hex records.
fn request_bodies() -> Vec<Bytes> {
    (0..DISTINCT_BATCHES)
        .map(|batch| {
            let records: Vec<String> = (0..RECORDS_PER_REQUEST)
                .map(|i| {
                    let email = format!("user{}@example.com", batch * RECORDS_PER_REQUEST + i);
                    hex::encode(Sha256::digest(email.as_bytes()))
                })
                .collect();
            let operation = if batch % 4 == 3 { "REMOVE" } else { "ADD" };
            let body = json!({ "operation_type": operation, "records": records.join(",") });
            Bytes::from(body.to_string())
        })
        .collect()
}

pub async fn run(options: Options) -> anyhow::Result<Value> {
    ensure!(options.concurrency > 0, "--concurrency must be at least 1");
    let config = SandboxConfig {
        rate_limits: RateLimitConfig {
            enabled: false,
            ..RateLimitConfig::default()
        },
        ..SandboxConfig::default()
    };
    let running = Sandbox::spawn(config).await?;
    let seed = running.sandbox.seed();
    let account = seed
        .ad_accounts
        .first()
        .context("the default seed has an ad account")?
        .clone();
    let owner = account.owner_user_id.clone();
    let grant = running
        .sandbox
        .issue_token(&owner, &["ads:read".into(), "ads:write".into()])?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let api = running.api_url();
    let created: Value = client
        .post(format!("{api}/ad_accounts/{}/customer_lists", account.id))
        .bearer_auth(&grant.access_token)
        .json(&json!({ "name": "bench list", "records": "bench@example.com" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let list_id = created["id"].as_str().context("list id")?.to_owned();
    let url = format!("{api}/ad_accounts/{}/customer_lists/{list_id}", account.id);

    let bodies = Arc::new(request_bodies());
    let succeeded = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let mut workers = Vec::with_capacity(options.concurrency);
    for worker in 0..options.concurrency {
        let (client, url, token) = (client.clone(), url.clone(), grant.access_token.clone());
        let (bodies, succeeded, failed) = (bodies.clone(), succeeded.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            let mut next = worker;
            while Instant::now() < deadline {
                let body = bodies[next % bodies.len()].clone();
                next += options.concurrency;
                let outcome = client
                    .patch(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match outcome {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        succeeded.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_seconds = process_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    running.shutdown().await?;

    let requests = succeeded.load(Ordering::Relaxed);
    let requests_per_s = requests as f64 / elapsed;
    Ok(json!({
        "scenario": "sandbox-patch",
        "seconds": elapsed,
        "concurrency": options.concurrency,
        "records_per_request": RECORDS_PER_REQUEST,
        "requests": requests,
        "failed_requests": failed.load(Ordering::Relaxed),
        "requests_per_s": requests_per_s,
        "records_per_s": requests_per_s * RECORDS_PER_REQUEST as f64,
        "goal_requests_per_s": GOAL_REQUESTS_PER_S,
        "ratio_to_goal": requests_per_s / GOAL_REQUESTS_PER_S,
        // CPU used by this process (sandbox and client together) while sending; on a shared
        // machine requests per CPU-second is the figure that does not depend on other load.
        "cpu_seconds": cpu_seconds,
        "requests_per_cpu_s": cpu_seconds.filter(|s| *s > 0.0).map(|s| requests as f64 / s),
    }))
}

/// User + system CPU time of this process, from `/proc/self/stat` (Linux; `None` elsewhere).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // The kernel reports clock ticks; USER_HZ is 100 on every Linux platform Rust supports.
    Some((utime + stime) / 100.0)
}
