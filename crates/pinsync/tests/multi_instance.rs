//! Scale-out end to end (issue #8's "done when"): three `pinsync serve` processes on one fresh
//! PostgreSQL database and one Pinterest sandbox, three connections (three workspaces, each
//! its own sandbox user), users entered in bulk over HTTP spread across the instances, one
//! instance killed with SIGKILL while it sends. Then: every user has exactly one outcome, the
//! analytics add up exactly (counters = recount), each audience holds exactly the users its
//! step added, and no token ever went over its write limit in any 1 s or 60 s window of the
//! sandbox's statistics.
//!
//! Runs when `PINSYNC_TEST_BACKEND=postgres` or `PINSYNC_MULTI_INSTANCE=1`, and then FAILS if
//! PostgreSQL (`PINSYNC_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`)
//! cannot be reached; otherwise it says it did not run. `PINSYNC_MULTI_USERS` sets the users
//! in all (default 20,000, CI; the long form is 200,000).
//!
//! The write budget per token is 2/s and 60/min on both sides (pinsync's
//! `[pinterest.rate_limits]` and the sandbox's limits), so the pipeline always wants more than
//! the budget and the window check is a real one at CI size; each PATCH also takes 300 ms at
//! the sandbox, so requests are in flight when the instance dies.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pinsync_core::canvas::StepId;
use pinsync_core::identifier::Email;
use pinsync_sandbox::config::{AdAccountConfig, UserConfig};
use pinsync_sandbox::{FaultConfig, Latency, RateLimitConfig, Sandbox, SandboxConfig};
use pinsync_store::postgres::databases;
use pinsync_store::{CanvasId, CanvasStore, LeaseStore, PgStore, SyncStore};
use serde_json::{Value, json};

const INSTANCES: usize = 3;
const CONNECTIONS: usize = 3;
/// Users per bulk-entry request.
const CHUNK: usize = 5_000;
const WRITES_PER_SECOND: u32 = 2;
const WRITES_PER_MINUTE: u32 = 60;
/// Where pinsync tells Pinterest to send the browser back; the test follows the redirect to
/// whichever instance it chooses instead (any instance completes the connection).
const REDIRECT_URI: &str = "http://127.0.0.1:9/api/v1/partners/pinterest/callback";
const STEP: &str = "add";

fn enabled() -> bool {
    let backend = std::env::var("PINSYNC_TEST_BACKEND").unwrap_or_default();
    let flag = std::env::var("PINSYNC_MULTI_INSTANCE").unwrap_or_default();
    backend == "postgres" || flag == "1"
}

fn users_in_all() -> usize {
    std::env::var("PINSYNC_MULTI_USERS")
        .ok()
        .map(|v| {
            v.replace(['_', ','], "")
                .parse()
                .expect("PINSYNC_MULTI_USERS")
        })
        .unwrap_or(20_000)
}

/// A fresh database on the test server; panics when the server is unreachable.
async fn fresh_database() -> String {
    let admin = std::env::var("PINSYNC_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("pinsync_test_multi_{}", std::process::id());
    databases::drop_database(&admin, &name)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at PINSYNC_TEST_PG_URL is unusable: {e}"));
    databases::create_database(&admin, &name)
        .await
        .unwrap_or_else(|e| panic!("cannot create the database {name}: {e}"))
}

fn user_name(n: usize) -> String {
    format!("scale-user-{n}")
}

fn account_id(n: usize) -> String {
    format!("5497705738{:02}", 10 + n)
}

fn sandbox_config() -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.app.redirect_uris.push(REDIRECT_URI.to_owned());
    config.customer_lists.allow_empty_create = true;
    config.users = (0..CONNECTIONS)
        .map(|n| UserConfig {
            id: format!("1099300727702431{n:03}"),
            username: user_name(n),
            account_type: "BUSINESS".into(),
            business_name: None,
        })
        .collect();
    config.ad_accounts = (0..CONNECTIONS)
        .map(|n| AdAccountConfig {
            id: account_id(n),
            name: format!("Scale account {n}"),
            owner: user_name(n),
            country: "US".into(),
            currency: "USD".into(),
            time_zone: "UTC".into(),
            roles: [(user_name(n), "OWNER".to_owned())].into(),
        })
        .collect();
    config.rate_limits = RateLimitConfig {
        ads_write_per_second: WRITES_PER_SECOND,
        ads_write_per_minute: WRITES_PER_MINUTE,
        ..RateLimitConfig::default()
    };
    config
}

/// The environment every `pinsync` process of the test shares.
struct Deployment {
    database_url: String,
    config_file: std::path::PathBuf,
    client_id: String,
    client_secret: String,
    api_base: String,
    oauth_url: String,
}

impl Deployment {
    fn command(&self, data_dir: &Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pinsync"));
        command
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(&self.config_file)
            .env_remove("PINSYNC_CONFIG")
            .env("PINSYNC_DATABASE_URL", &self.database_url)
            .env("PINSYNC_SECRET_KEY", "07".repeat(32))
            .env("PINSYNC_PINTEREST_CLIENT_ID", &self.client_id)
            .env("PINSYNC_PINTEREST_CLIENT_SECRET", &self.client_secret)
            .env("PINSYNC_PINTEREST_REDIRECT_URI", REDIRECT_URI)
            .env("PINSYNC_PINTEREST_API_BASE", &self.api_base)
            .env("PINSYNC_PINTEREST_OAUTH_URL", &self.oauth_url)
            .env("PINSYNC_LOG", "info");
        command
    }
}

/// One `pinsync serve` process; killed (SIGKILL) when dropped, so a failing test leaves none.
struct Instance {
    name: String,
    child: Child,
    url: String,
    _data_dir: tempfile::TempDir,
}

impl Instance {
    fn start(deployment: &Deployment, index: usize) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut child = deployment
            .command(data_dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let name = format!("instance-{index}");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("{name} exited before listening"))
                .unwrap();
            if let Some(rest) = line.strip_prefix("pinsync listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Drain stderr (a full pipe would block the child); show what matters.
        let prefix = name.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("WARN") || line.contains("ERROR") || line.contains("lease") {
                    eprintln!("[{prefix}] {line}");
                }
            }
        });
        Self {
            name,
            child,
            url,
            _data_dir: data_dir,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn sigkill(&mut self) {
        // `Child::kill` is SIGKILL on Unix: no shutdown hook runs, no lease is released.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One workspace with its connection and its Canvas.
struct Tenant {
    api_key: String,
    canvas: CanvasId,
    customer_list_id: String,
    users: usize,
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn call(
    method: reqwest::Method,
    url: String,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http().request(method, &url).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn create_key(deployment: &Deployment, workspace: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = deployment
        .command(dir.path())
        .args(["admin", "create-key", "--workspace", workspace])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Connects workspace `n` to sandbox user `n` through `instance` (the consent form posted as
/// a browser would), selects its ad account, and creates and launches its Canvas.
async fn set_up_tenant(
    deployment: &Deployment,
    sandbox: &Sandbox,
    instance: &Instance,
    n: usize,
    users: usize,
) -> Tenant {
    let key = create_key(deployment, &format!("scale-{n}"));
    let base = &instance.url;
    let response = http()
        .get(format!("{base}/api/v1/partners/pinterest/connect"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let authorize = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let user_id = sandbox
        .seed()
        .users
        .into_iter()
        .find(|u| u.username == user_name(n))
        .unwrap()
        .id;
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("user_id".into(), user_id));
    form.push(("decision".into(), "allow".into()));
    let consent = http()
        .post(&deployment.oauth_url)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(consent.status().is_redirection(), "{}", consent.status());
    let callback = url::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    let callback = format!("{base}{}?{}", callback.path(), callback.query().unwrap());
    let done = http().get(callback).send().await.unwrap();
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
    let (status, body) = call(
        reqwest::Method::PUT,
        format!("{base}/api/v1/partners/pinterest/ad_accounts"),
        &key,
        Some(json!({"ad_account_ids": [account_id(n)]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let definition = json!({
        "name": format!("Scale-out {n}"),
        "entry_step_id": STEP,
        "steps": [{
            "id": STEP, "name": "Add", "type": "audience_sync", "partner": "pinterest",
            "ad_account_id": account_id(n),
            "audience": {"new": {"name": format!("scale-out-{n}")}},
            "action": "add", "match_fields": ["email"], "next": null
        }]
    });
    let (status, canvas) = call(
        reqwest::Method::POST,
        format!("{base}/api/v1/canvases"),
        &key,
        Some(definition),
    )
    .await;
    assert_eq!(status, 201, "{canvas}");
    let id = canvas["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| canvas["id"].to_string());
    let (status, audience) = call(
        reqwest::Method::POST,
        format!("{base}/api/v1/canvases/{id}/steps/{STEP}/audience"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 201, "{audience}");
    let (status, launched) = call(
        reqwest::Method::POST,
        format!("{base}/api/v1/canvases/{id}/launch"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 200, "{launched}");
    Tenant {
        api_key: key,
        canvas: CanvasId(id.parse().unwrap()),
        customer_list_id: audience["customer_list_id"].as_str().unwrap().to_owned(),
        users,
    }
}

fn email(tenant: usize, user: usize) -> String {
    format!("user-{tenant}-{user}@example.com")
}

/// One NDJSON bulk entry of users `range` of `tenant` through `instance`.
async fn enter_chunk(
    instance: &Instance,
    tenant: &Tenant,
    n: usize,
    range: std::ops::Range<usize>,
) {
    let mut body = String::new();
    for user in range.clone() {
        body.push_str(
            &json!({"external_user_id": format!("u-{n}-{user}"), "email": email(n, user)})
                .to_string(),
        );
        body.push('\n');
    }
    let response = http()
        .post(format!(
            "{}/api/v1/canvases/{}/entries",
            instance.url, tenant.canvas.0
        ))
        .bearer_auth(&tenant.api_key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["summary"]["entered"].as_u64(),
        Some(range.len() as u64),
        "{answer}"
    );
}

/// The instance holding most connection leases (at least one), among `instances`.
async fn busiest_owner(store: &PgStore, instances: &[Instance]) -> Option<usize> {
    let now = pinsync_store::now_millis();
    let leases = store.live_leases("connection:", now).await.unwrap();
    let held = |instance: &Instance| {
        let prefix = format!("pinsync-{}-", instance.pid());
        leases
            .iter()
            .filter(|lease| lease.holder.starts_with(&prefix))
            .count()
    };
    (0..instances.len())
        .filter(|&i| held(&instances[i]) > 0)
        .max_by_key(|&i| held(&instances[i]))
}

async fn step_counts(store: &PgStore, canvas: CanvasId) -> pinsync_store::StepCounts {
    let counts = store.canvas_counts(canvas).await.unwrap();
    counts
        .steps
        .get(&StepId::from(STEP))
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_each_tokens_budget_and_survive_a_sigkill() {
    if !enabled() {
        eprintln!(
            "NOT RUN: the multi-instance test needs PostgreSQL: set PINSYNC_TEST_BACKEND=postgres or PINSYNC_MULTI_INSTANCE=1 (see docs/testing.md)"
        );
        return;
    }
    let users = users_in_all();
    let started = Instant::now();
    let database_url = fresh_database().await;
    let sandbox = Sandbox::spawn(sandbox_config()).await.unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let config_file = config_dir.path().join("pinsync.toml");
    std::fs::write(
        &config_file,
        format!(
            "[pinterest.rate_limits]\nwrites_per_second = {WRITES_PER_SECOND}\nwrites_per_minute = {WRITES_PER_MINUTE}\n"
        ),
    )
    .unwrap();
    let seed = sandbox.sandbox.seed().app;
    let deployment = Deployment {
        database_url: database_url.clone(),
        config_file,
        client_id: seed.client_id,
        client_secret: seed.client_secret,
        api_base: sandbox.api_url(),
        oauth_url: sandbox.oauth_url(),
    };
    let mut instances: Vec<Instance> = (0..INSTANCES)
        .map(|i| Instance::start(&deployment, i))
        .collect();
    let store = PgStore::connect_with(&database_url, 2).await.unwrap();

    let mut tenants = Vec::new();
    for n in 0..CONNECTIONS {
        let share = users / CONNECTIONS + usize::from(n < users % CONNECTIONS);
        let instance = &instances[n % INSTANCES];
        tenants.push(set_up_tenant(&deployment, &sandbox.sandbox, instance, n, share).await);
    }
    // From here on the sandbox sees only delivery: the audience ids are in the steps, so no
    // request but the PATCHes of the pipeline.
    sandbox.sandbox.reset_stats();
    sandbox
        .sandbox
        .set_faults(FaultConfig {
            latency: Latency::Fixed { ms: 300 },
            ..FaultConfig::default()
        })
        .unwrap();
    eprintln!(
        "set up {INSTANCES} instances and {CONNECTIONS} connections in {:.1}s; entering {users} users",
        started.elapsed().as_secs_f64()
    );

    // Bulk entry, chunk by chunk, round robin over the tenants and the live instances.
    let mut chunks = Vec::new();
    for (n, tenant) in tenants.iter().enumerate() {
        let mut first = 0;
        while first < tenant.users {
            let end = (first + CHUNK).min(tenant.users);
            chunks.push((n, first..end));
            first = end;
        }
    }
    chunks.sort_by_key(|(n, range)| (range.start, *n));
    let mut alive: Vec<usize> = (0..INSTANCES).collect();
    let mut killed = None;
    let kill_after = chunks.len() / 2;
    for (index, (n, range)) in chunks.into_iter().enumerate() {
        let instance = &instances[alive[index % alive.len()]];
        enter_chunk(instance, &tenants[n], n, range).await;
        if index + 1 >= kill_after && killed.is_none() {
            // Mid-run: once a lease owner is sending, kill it.
            let deadline = Instant::now() + Duration::from_secs(60);
            let victim = loop {
                let sending = sandbox.sandbox.stats().total_requests > 0;
                if sending && let Some(owner) = busiest_owner(&store, &instances).await {
                    break owner;
                }
                assert!(
                    Instant::now() < deadline,
                    "no instance took a lease and sent"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            instances[victim].sigkill();
            eprintln!(
                "SIGKILLed {} after {} chunks, {} requests seen by the sandbox",
                instances[victim].name,
                index + 1,
                sandbox.sandbox.stats().total_requests
            );
            alive.retain(|&i| i != victim);
            killed = Some(victim);
        }
    }
    assert!(killed.is_some(), "an instance was killed mid-run");
    eprintln!(
        "entered {users} users in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Wait until every user has its outcome (the dead owner's leases lapse after 10 s, its
    // claims after 60 s, and the new owner waits out the old owner's windows).
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let mut done = true;
        for tenant in &tenants {
            let counts = step_counts(&store, tenant.canvas).await;
            done &= counts.pending == 0 && counts.entered == tenant.users as u64;
        }
        if done {
            break;
        }
        let depths = store.sync_queue_depths().await.unwrap();
        assert!(
            Instant::now() < deadline,
            "not finished after 10 minutes: {depths:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!(
        "all delivered after {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Every user exactly one outcome, counted exactly.
    for tenant in &tenants {
        let counts = store.canvas_counts(tenant.canvas).await.unwrap();
        let recount = store.recount_canvas(tenant.canvas).await.unwrap();
        assert_eq!(counts, recount, "the counters agree with a recount");
        let step = step_counts(&store, tenant.canvas).await;
        let expected = tenant.users as u64;
        assert_eq!(
            (
                step.entered,
                step.synced,
                step.not_synced_total(),
                step.pending,
                step.errored_total()
            ),
            (expected, expected, 0, 0, 0),
            "{step:?}"
        );
    }
    // Each audience holds exactly the users its step added.
    for (n, tenant) in tenants.iter().enumerate() {
        let expected: BTreeSet<String> = (0..tenant.users)
            .map(|user| {
                Email::parse(&email(n, user))
                    .unwrap()
                    .hashed()
                    .as_str()
                    .to_owned()
            })
            .collect();
        let members = sandbox
            .sandbox
            .list_members(&tenant.customer_list_id)
            .unwrap();
        assert_eq!(members.len(), expected.len());
        assert!(
            members == expected,
            "the list holds exactly the entered users"
        );
    }
    // No token over its limit in any window, and never a 429.
    let stats = sandbox.sandbox.stats();
    assert_eq!(stats.users.len(), CONNECTIONS, "{:?}", stats.users);
    for user in &stats.users {
        assert!(
            user.max_in_1s <= u64::from(WRITES_PER_SECOND)
                && user.max_in_60s <= u64::from(WRITES_PER_MINUTE)
                && user.rate_limited == 0,
            "over the limit: {user:?}"
        );
    }
    eprintln!(
        "{users} users, 3 instances, one SIGKILL: done in {:.1}s; windows {:?}",
        started.elapsed().as_secs_f64(),
        stats
            .users
            .iter()
            .map(|u| (u.requests, u.max_in_1s, u.max_in_60s))
            .collect::<Vec<_>>()
    );
}
