//! `fault-soak`: the real `pinsync serve` against a sandbox that answers 5% of requests with a
//! 5xx, 2% with a 429, drops one connection in 100 and adds latency with a 2 s p99. Canvas A
//! adds N users to an audience; mid-run the connection's grant is revoked, and pinsync must
//! pause until Pinterest is connected again (the OAuth dance, under the same faults). Canvas
//! B's audience is deleted on Pinterest once its first wave is synced; its second wave must end
//! `errored: audience_deleted`. At the end every user must have the outcome those faults
//! imply, the lists exactly the members the steps asked for, and no window over the limits.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use pinsync_connect::{TokenCipher, token_context};
use pinsync_sandbox::{FaultConfig, Latency};
use pinsync_store::{ConnectionStore, SqliteStore, Store};
use serde_json::{Value, json};

use crate::soak::audit::{self, Visit};
use crate::soak::entry::enter_all;
use crate::soak::population::Population;
use crate::soak::sandbox::Kind;
use crate::soak::setup::{self, AD_ACCOUNT, PINTEREST_USER, Soak};

#[derive(clap::Args)]
pub struct Options {
    /// Users of Canvas A (synced through every fault, the revoke and the reconnect).
    #[arg(long, default_value_t = 200_000)]
    users: u64,
    /// Users of Canvas B, whose audience is deleted: half before, half after the deletion.
    #[arg(long, default_value_t = 4_000)]
    deleted_audience_users: u64,
    /// The pinsync binary (default: `pinsync` next to this binary).
    #[arg(long)]
    pinsync_bin: Option<PathBuf>,
    /// Users per bulk-entry request.
    #[arg(long, default_value_t = 20_000)]
    request_users: u64,
    /// Give up (and fail) after this many seconds.
    #[arg(long, default_value_t = 1_800)]
    timeout_secs: u64,
    /// Keep the work directory (database and server log) and print where it is.
    #[arg(long)]
    keep: bool,
}

const STEP: &str = "add";

/// The faults: 5% 5xx, 2% 429, 1% dropped connections, latency with a 2 s p99
/// (uniform from 20 ms to 2,020 ms).
fn faults() -> FaultConfig {
    FaultConfig {
        error_500_fraction: 0.025,
        error_503_fraction: 0.025,
        rate_limit_fraction: 0.02,
        drop_connection_fraction: 0.01,
        latency: Latency::Uniform {
            min_ms: 20,
            max_ms: 2_020,
        },
        ..FaultConfig::default()
    }
}

fn canvas_definition(name: &str) -> Value {
    json!({
        "name": name, "entry_step_id": STEP,
        "steps": [{"id": STEP, "name": "Add", "type": "audience_sync", "partner": "pinterest",
                   "ad_account_id": AD_ACCOUNT, "audience": {"new": {"name": name}},
                   "action": "add", "match_fields": ["email"], "next": null}]
    })
}

/// Creates, gives an audience and launches a one-step Canvas: (canvas, audience, list).
async fn launched_canvas(soak: &Soak, name: &str) -> anyhow::Result<(String, String, String)> {
    let canvas = soak.api.create_canvas(&canvas_definition(name)).await?;
    let (audience, list) = soak.api.create_step_audience(&canvas, STEP).await?;
    soak.api.launch(&canvas).await?;
    Ok((canvas, audience, list))
}

pub async fn run(options: Options) -> anyhow::Result<Value> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.timeout_secs);
    let mut soak = setup::start(
        options.pinsync_bin.clone(),
        options.keep,
        setup::sandbox_config(),
        Vec::new(),
    )
    .await?;
    let (canvas_a, _, list_a) = launched_canvas(&soak, "fault soak").await?;
    let (canvas_b, audience_b, list_b) = launched_canvas(&soak, "deleted audience").await?;
    let population_a = Population::new("fault", 0..options.users);
    let half = options.deleted_audience_users / 2;
    let wave_1 = Population::new("deleted", 0..half);
    let wave_2 = Population::new("deleted", half..options.deleted_audience_users);
    soak.sandbox
        .sandbox
        .set_faults(faults())
        .map_err(|e| anyhow::anyhow!("cannot set the faults: {e:?}"))?;
    eprintln!(
        "fault-soak: faults on; {} users in A, {} in B",
        options.users, options.deleted_audience_users
    );

    let entry_a = tokio::spawn(enter_all(
        soak.api.clone(),
        canvas_a.clone(),
        population_a.clone(),
        options.request_users,
        deadline,
    ));
    enter_all(
        soak.api.clone(),
        canvas_b.clone(),
        wave_1.clone(),
        options.request_users,
        deadline,
    )
    .await?;

    let mut problems = Vec::new();
    let revoke = revoke_and_reconnect(&soak, &canvas_a, options.users, deadline).await?;
    eprintln!("fault-soak: revoked, paused and reconnected: {revoke}");
    if revoke["writes_while_paused"] != 0 {
        problems.push(format!(
            "{} writes were sent while the connection was paused (invalid_token)",
            revoke["writes_while_paused"]
        ));
    }

    // Canvas B: its first wave synced, then its audience and list are deleted on Pinterest.
    let synced = wait_for_step(&soak, &canvas_b, deadline, |step| step["pending"] == 0).await?;
    if synced["synced"].as_u64() != Some(wave_1.len()) {
        problems.push(format!(
            "canvas B's first wave: {synced} instead of {} synced",
            wave_1.len()
        ));
    }
    let members_b = soak
        .sandbox
        .sandbox
        .list_members(&list_b)
        .context("list B is gone")?;
    problems.extend(setup::membership_problems(
        &list_b,
        &members_b,
        &hashes(&wave_1),
    ));
    let deleted_at = soak.sandbox.elapsed();
    soak.sandbox
        .sandbox
        .delete_audience(&audience_b)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    soak.sandbox
        .sandbox
        .delete_customer_list(&list_b)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    enter_all(
        soak.api.clone(),
        canvas_b.clone(),
        wave_2.clone(),
        options.request_users,
        deadline,
    )
    .await?;

    let entry_totals = entry_a.await??;
    let analytics_a =
        setup::wait_until_finished(&soak.api, &canvas_a, options.users, deadline).await?;
    let analytics_b = setup::wait_until_finished(
        &soak.api,
        &canvas_b,
        options.deleted_audience_users,
        deadline,
    )
    .await?;
    let finished = started.elapsed();
    let stopped = soak.server.stop().await?;
    if !stopped.success() {
        problems.push(format!(
            "pinsync did not stop cleanly after SIGTERM: {stopped}"
        ));
    }

    let data_dir = soak.server.data_dir().to_path_buf();
    let mut journeys = audit::audit_journeys(&data_dir, canvas_a.parse()?, &population_a, &|_| {
        vec![Visit::synced(STEP, "synced", None)]
    })?;
    let all_b = Population::new("deleted", 0..options.deleted_audience_users);
    journeys.merge(audit::audit_journeys(
        &data_dir,
        canvas_b.parse()?,
        &all_b,
        &|n| match n < half {
            true => vec![Visit::synced(STEP, "synced", None)],
            false => vec![Visit::synced(STEP, "errored", Some("audience_deleted"))],
        },
    )?);
    for (canvas, analytics) in [(&canvas_a, &analytics_a), (&canvas_b, &analytics_b)] {
        problems.extend(
            audit::audit_counters(&data_dir, canvas.parse()?, analytics)
                .await?
                .1,
        );
    }
    let members_a = soak
        .sandbox
        .sandbox
        .list_members(&list_a)
        .context("list A is gone")?;
    problems.extend(setup::membership_problems(
        &list_a,
        &members_a,
        &hashes(&population_a),
    ));
    let accepted_after_deletion = soak
        .sandbox
        .arrivals()
        .iter()
        .filter(|a| a.at > deleted_at && a.kind == Kind::Write && a.path.contains(&list_b))
        .filter(|a| (200..300).contains(&a.status))
        .count();
    if accepted_after_deletion > 0 {
        problems.push(format!(
            "{accepted_after_deletion} writes to the deleted list were accepted"
        ));
    }
    let windows = soak.sandbox.window_checks();
    problems.extend(setup::window_problems(&windows));

    let violation_count = journeys.violation_count as usize + problems.len();
    let mut violations = journeys.violations.clone();
    violations.extend(problems);
    let figures = json!({
        "scenario": "fault-soak",
        "users": options.users,
        "deleted_audience_users": options.deleted_audience_users,
        "faults": faults(),
        "entry": entry_totals,
        "revoke": revoke,
        "finished_s": (finished.as_secs_f64() * 100.0).round() / 100.0,
        "users_per_s": (options.users as f64 / finished.as_secs_f64()).round(),
        "journeys_checked": journeys.users_checked,
        "outcomes": journeys.outcomes,
        "list_members": members_a.len(),
        "pinterest": setup::request_figures(&soak.sandbox),
        "windows": windows,
        "server_error_lines": soak.server.error_lines().len(),
        "violation_count": violation_count,
        "violations": violations,
    });
    soak.finish(figures, violation_count, &violations)
}

fn hashes(population: &Population) -> BTreeSet<String> {
    population
        .range
        .clone()
        .filter_map(|n| population.email_sha256(n))
        .collect()
}

/// Polls the analytics of the Canvas's step until `done(step)`; answers that step.
async fn wait_for_step(
    soak: &Soak,
    canvas: &str,
    deadline: Instant,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    loop {
        let analytics = soak.api.analytics(canvas).await?;
        let step = analytics.steps.get(STEP).cloned().unwrap_or_default();
        if done(&step) {
            return Ok(step);
        }
        if Instant::now() > deadline {
            bail!("canvas {canvas} step {STEP} never got there: {step}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Once a tenth of Canvas A is synced (and some of it still pending): revokes the connection's
/// grant on Pinterest, waits until pinsync reports `invalid_token`, holds the pause for 3 s, and
/// connects again through the OAuth dance (retried while a fault breaks it).
async fn revoke_and_reconnect(
    soak: &Soak,
    canvas: &str,
    users: u64,
    deadline: Instant,
) -> anyhow::Result<Value> {
    let before = wait_for_step(soak, canvas, deadline, |step| {
        step["synced"].as_u64().unwrap_or(0) >= users / 10
    })
    .await?;
    let refresh = stored_refresh_token(soak).await?;
    soak.sandbox
        .sandbox
        .revoke_token(&refresh)
        .map_err(|e| anyhow::anyhow!("cannot revoke: {e:?}"))?;
    let revoked_at = Instant::now();
    loop {
        if soak.api.connection().await?["status"] == "invalid_token" {
            break;
        }
        if Instant::now() > deadline {
            bail!("pinsync never reported invalid_token after the revoke");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let noticed = revoked_at.elapsed();
    let paused_from = soak.sandbox.elapsed();
    let synced_paused = soak.api.analytics(canvas).await?.steps[STEP]["synced"].clone();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let synced_after_pause = soak.api.analytics(canvas).await?.steps[STEP]["synced"].clone();
    let writes_while_paused = soak
        .sandbox
        .arrivals()
        .iter()
        .filter(|a| a.at > paused_from && a.kind == Kind::Write)
        .count();
    let mut dances = 0;
    loop {
        dances += 1;
        match soak.api.authorize(&soak.sandbox, PINTEREST_USER).await {
            Ok(connection) if connection["status"] == "connected" => break,
            Ok(connection) => bail!(
                "reconnected, but the connection is {}",
                connection["status"]
            ),
            Err(error) if dances < 20 => {
                eprintln!(
                    "fault-soak: reconnect attempt {dances} failed (a fault, retrying): {error:#}"
                );
            }
            Err(error) => return Err(error.context("reconnecting failed 20 times")),
        }
    }
    Ok(json!({
        "synced_before_revoke": before["synced"],
        "pending_at_revoke": before["pending"],
        "invalid_token_noticed_ms": noticed.as_millis(),
        "synced_when_paused": synced_paused,
        "synced_after_3s_pause": synced_after_pause,
        "writes_while_paused": writes_while_paused,
        "oauth_dances": dances,
    }))
}

/// The connection's refresh token, decrypted from the store with the key in the data directory
/// (as the tests read it).
async fn stored_refresh_token(soak: &Soak) -> anyhow::Result<String> {
    let data_dir = soak.server.data_dir();
    let store = SqliteStore::open_in_dir(data_dir)?;
    let workspace = store
        .workspace_by_name(pinsync_store::DEFAULT_WORKSPACE)
        .await?
        .context("no default workspace")?
        .id;
    let connection = store
        .connection(workspace)
        .await?
        .context("no connection")?;
    let cipher = TokenCipher::load(None, data_dir)?;
    let refresh = connection.refresh_token.context("no refresh token")?;
    Ok(cipher.decrypt(&refresh, &token_context(workspace, "refresh_token"))?)
}
