//! `crash-soak`: the real `pinsync serve` on a fresh SQLite database, connected to the sandbox
//! through OAuth, runs a Canvas that adds every user to an audience, waits, and removes tier-0
//! users again; N users enter in bulk over HTTP while pinsync is killed with SIGKILL K times
//! at random moments (about half while users enter, the rest while the pipeline drains) and
//! started again each time. At the end it fails on any lost or doubled user, any counter that
//! differs from a recount of the raw rows or from the API, any difference between the
//! sandbox's list and what the steps asked for, and any request window over Pinterest's limits.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use crate::soak::audit::{self, Visit};
use crate::soak::population::Population;
use crate::soak::setup::{self, Soak};

#[derive(clap::Args)]
pub struct Options {
    /// Users entered through bulk entry.
    #[arg(long, default_value_t = 200_000)]
    users: u64,
    /// SIGKILLs of pinsync: the first half while users enter, the rest while it drains.
    #[arg(long, default_value_t = 20)]
    kills: u32,
    /// Seed of the kill moments (default: from the clock; printed to reproduce a run).
    #[arg(long)]
    seed: Option<u64>,
    /// The pinsync binary (default: `pinsync` next to this binary).
    #[arg(long)]
    pinsync_bin: Option<PathBuf>,
    /// Users per bulk-entry request; a request cut off by a kill is sent again whole.
    #[arg(long, default_value_t = 20_000)]
    request_users: u64,
    /// Records per Pinterest request (pinsync's `pipeline.max_records_per_request`): smaller
    /// batches mean more requests, so a short run still drains long enough for every kill.
    #[arg(long, default_value_t = 1_900)]
    records_per_request: usize,
    /// Give up (and fail) after this many seconds.
    #[arg(long, default_value_t = 1_800)]
    timeout_secs: u64,
    /// Keep the work directory (database and server log) and print where it is.
    #[arg(long)]
    keep: bool,
}

const STEP_ADD: &str = "add";
const STEP_WAIT: &str = "wait";
const STEP_SPLIT: &str = "split";
const STEP_REMOVE: &str = "remove";

/// Add everyone with an email, wait 2 s, remove tier-0 users again.
fn canvas_definition(ad_account: &str) -> Value {
    json!({
        "name": "Crash soak",
        "entry_step_id": STEP_ADD,
        "steps": [
            {"id": STEP_ADD, "name": "Add", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": ad_account, "audience": {"new": {"name": "crash soak"}},
             "action": "add", "match_fields": ["email"], "next": STEP_WAIT},
            {"id": STEP_WAIT, "name": "Wait", "type": "delay", "duration_seconds": 2, "next": STEP_SPLIT},
            {"id": STEP_SPLIT, "name": "Tier 0?", "type": "decision_split",
             "condition": {"attribute": "tier", "op": "equals", "value": 0},
             "yes": STEP_REMOVE, "no": null},
            {"id": STEP_REMOVE, "name": "Remove", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": ad_account, "audience": {"step": STEP_ADD},
             "action": "remove", "match_fields": ["email"], "next": null}
        ]
    })
}

/// The journey user `n` must have had.
fn expected_visits(population: &Population, n: u64) -> Vec<Visit> {
    let sync = |step: &str| match population.has_email(n) {
        true => Visit::synced(step, "synced", None),
        false => Visit::synced(step, "not_synced", Some("missing")),
    };
    let mut visits = vec![
        sync(STEP_ADD),
        Visit::passed(STEP_WAIT),
        Visit::passed(STEP_SPLIT),
    ];
    if Population::tier(n) == 0 {
        visits.push(sync(STEP_REMOVE));
    }
    visits
}

/// The list's members once every step is done: users with an email outside tier 0.
fn expected_members(population: &Population) -> BTreeSet<String> {
    population
        .range
        .clone()
        .filter(|n| Population::tier(*n) != 0)
        .filter_map(|n| population.email_sha256(n))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    Entry,
    Drain,
}

#[derive(Debug, serde::Serialize)]
struct Kill {
    phase: Phase,
    uptime_ms: u128,
    restart_ms: u128,
}

pub async fn run(options: Options) -> anyhow::Result<Value> {
    let seed = options.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    eprintln!(
        "crash-soak: seed {seed}, {} users, {} kills",
        options.users, options.kills
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.timeout_secs);
    let mut soak = setup::start(
        options.pinsync_bin.clone(),
        options.keep,
        setup::sandbox_config(),
        vec![(
            "PINSYNC_PIPELINE_MAX_RECORDS_PER_REQUEST".into(),
            options.records_per_request.to_string(),
        )],
    )
    .await?;
    let account = setup::AD_ACCOUNT;
    let canvas = soak.api.create_canvas(&canvas_definition(account)).await?;
    let (_audience, list) = soak.api.create_step_audience(&canvas, STEP_ADD).await?;
    soak.api.launch(&canvas).await?;
    let mut population = Population::new("crash", 0..options.users);
    population.without_email_every = Some(50);

    let entry = tokio::spawn(crate::soak::entry::enter_all(
        soak.api.clone(),
        canvas.clone(),
        population.clone(),
        options.request_users,
        deadline,
    ));
    let mut rng = StdRng::seed_from_u64(seed);
    let kills = kill_repeatedly(
        &mut soak,
        &entry,
        &canvas,
        options.kills,
        &mut rng,
        deadline,
    )
    .await?;
    let entry_totals = entry.await??;
    let entry_done = started.elapsed();
    let analytics = setup::wait_until_finished(&soak.api, &canvas, options.users, deadline).await?;
    let finished = started.elapsed();
    let stopped = soak.server.stop().await?;

    let mut problems = Vec::new();
    if !stopped.success() {
        problems.push(format!(
            "pinsync did not stop cleanly after SIGTERM: {stopped}"
        ));
    }
    let canvas_id: i64 = canvas.parse()?;
    let data_dir = soak.server.data_dir().to_path_buf();
    let journeys = audit::audit_journeys(&data_dir, canvas_id, &population, &|n| {
        expected_visits(&population, n)
    })?;
    let (counts, counter_problems) =
        audit::audit_counters(&data_dir, canvas_id, &analytics).await?;
    problems.extend(counter_problems);
    let members = soak
        .sandbox
        .sandbox
        .list_members(&list)
        .context("the list is gone")?;
    problems.extend(setup::membership_problems(
        &list,
        &members,
        &expected_members(&population),
    ));
    let windows = soak.sandbox.window_checks();
    problems.extend(setup::window_problems(&windows));
    let violation_count = journeys.violation_count as usize + problems.len();
    let mut violations = journeys.violations.clone();
    violations.extend(problems);
    let phase_count = |phase| kills.iter().filter(|k| k.phase == phase).count();
    let restart_ms: Vec<u128> = kills.iter().map(|k| k.restart_ms).collect();
    let figures = json!({
        "scenario": "crash-soak",
        "seed": seed,
        "users": options.users,
        "records_per_request": options.records_per_request,
        "kills": kills.len(),
        "kills_during_entry": phase_count(Phase::Entry),
        "kills_during_drain": phase_count(Phase::Drain),
        "restart_ms_max": restart_ms.iter().max(),
        "restart_ms_mean": restart_ms.iter().sum::<u128>() / restart_ms.len().max(1) as u128,
        "entry": entry_totals,
        "entry_done_s": round(entry_done.as_secs_f64()),
        "finished_s": round(finished.as_secs_f64()),
        "journeys_checked": journeys.users_checked,
        "outcomes": journeys.outcomes,
        "violation_count": violation_count,
        "entered": counts.entered,
        "list_members": members.len(),
        "pinterest": setup::request_figures(&soak.sandbox),
        "windows": windows,
        "server_error_lines": soak.server.error_lines().len(),
        "violations": violations,
    });
    soak.finish(figures, violation_count, &violations)
}

/// Kills pinsync `kills` times: while entry runs (up to half of them, after 0.05–1.5 s of uptime
/// each, so some kills cut a request before its first chunk commits and some after), then while
/// users are still pending (after 0.5–5 s), restarting it each time.
async fn kill_repeatedly(
    soak: &mut Soak,
    entry: &tokio::task::JoinHandle<anyhow::Result<crate::soak::entry::EntryTotals>>,
    canvas: &str,
    kills: u32,
    rng: &mut StdRng,
    deadline: Instant,
) -> anyhow::Result<Vec<Kill>> {
    let entry_kills = kills.div_ceil(2) as usize;
    let mut done: Vec<Kill> = Vec::new();
    while done.len() < kills as usize {
        if Instant::now() > deadline {
            bail!("the deadline passed after {} kills", done.len());
        }
        let entering = !entry.is_finished();
        if entering && done.len() >= entry_kills {
            // Enough kills during entry: let it finish before the drain's kills.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let uptime = match entering {
            true => Duration::from_millis(rng.random_range(50..=1_500)),
            false => Duration::from_millis(rng.random_range(500..=5_000)),
        };
        tokio::time::sleep(uptime).await;
        let phase = if !entry.is_finished() {
            Phase::Entry
        } else if soak.api.analytics(canvas).await?.unfinished() > 0 {
            Phase::Drain
        } else {
            bail!(
                "everything drained after {} kills: use more users for {kills} kills",
                done.len()
            );
        };
        soak.server.kill().await?;
        let restart = soak.server.start().await?;
        eprintln!(
            "crash-soak: kill {} during {phase:?} after {uptime:?}; ready again in {restart:?}",
            done.len() + 1
        );
        done.push(Kill {
            phase,
            uptime_ms: uptime.as_millis(),
            restart_ms: restart.as_millis(),
        });
    }
    Ok(done)
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_zero_users_are_removed_and_users_without_email_are_not_synced() {
        let mut population = Population::new("t", 0..100);
        population.without_email_every = Some(50);
        assert_eq!(expected_visits(&population, 0).len(), 4);
        assert_eq!(expected_visits(&population, 1).len(), 3);
        assert_eq!(
            expected_visits(&population, 7)[0],
            Visit::synced(STEP_ADD, "not_synced", Some("missing"))
        );
        let members = expected_members(&population);
        assert_eq!(members.len(), 75 - 2, "tiers 1-3 minus users 7 and 57");
    }
}
