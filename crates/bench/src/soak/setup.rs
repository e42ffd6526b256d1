//! The start every soak shares (sandbox, `pinsync serve` on a fresh data directory, an API key,
//! Pinterest connected through the consent form), waiting for a Canvas to finish, and the
//! verdict: the figures, plus a failure that lists every violation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use pinsync_sandbox::SandboxConfig;
use serde_json::{Value, json};

use super::api::{Api, StepAnalytics};
use super::sandbox::{Kind, RecordedSandbox};
use super::server::{PinsyncProcess, PinterestApp, locate_binary};
use super::windows::WindowCheck;

/// The sandbox's seeded user the soaks connect as, and its ad account (OWNER).
pub const PINTEREST_USER: &str = "sandbox-alice";
pub const AD_ACCOUNT: &str = "549770573673";

pub struct Soak {
    pub sandbox: RecordedSandbox,
    pub server: PinsyncProcess,
    pub api: Arc<Api>,
    work: Option<tempfile::TempDir>,
}

/// The sandbox's defaults, except that a customer list may be created empty, so a step's new
/// audience exists before its first user.
pub fn sandbox_config() -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.customer_lists.allow_empty_create = true;
    config
}

/// Starts the sandbox and `pinsync serve`, and connects Pinterest as [`PINTEREST_USER`] with
/// [`AD_ACCOUNT`] selected.
pub async fn start(
    binary: Option<PathBuf>,
    keep: bool,
    config: SandboxConfig,
    server_env: Vec<(String, String)>,
) -> anyhow::Result<Soak> {
    let binary = locate_binary(binary)?;
    let sandbox = RecordedSandbox::start(config).await?;
    let seed = sandbox.sandbox.seed().app;
    let app = PinterestApp {
        client_id: seed.client_id,
        client_secret: seed.client_secret,
        api_base: sandbox.api_url(),
        oauth_url: sandbox.oauth_url(),
    };
    let work = tempfile::Builder::new().prefix("pinsync-soak-").tempdir()?;
    let mut server = PinsyncProcess::new(binary, work.path(), app)?;
    server.env = server_env;
    let key = server.create_api_key().await?;
    server.start().await?;
    let api = Arc::new(Api::new(server.base_url(), key)?);
    api.connect_pinterest(&sandbox, PINTEREST_USER, &[AD_ACCOUNT])
        .await?;
    let work = if keep {
        eprintln!("soak: keeping {}", work.path().display());
        let _ = work.keep();
        None
    } else {
        Some(work)
    };
    Ok(Soak {
        sandbox,
        server,
        api,
        work,
    })
}

impl Soak {
    /// Another `pinsync serve` with the first one's settings (on PostgreSQL, the same
    /// database: a second instance) and its own port and work directory, started.
    pub async fn start_another_instance(
        &self,
        work_dir: &std::path::Path,
    ) -> anyhow::Result<PinsyncProcess> {
        let seed = self.sandbox.sandbox.seed().app;
        let app = PinterestApp {
            client_id: seed.client_id,
            client_secret: seed.client_secret,
            api_base: self.sandbox.api_url(),
            oauth_url: self.sandbox.oauth_url(),
        };
        let mut server = PinsyncProcess::new(self.server.binary().to_path_buf(), work_dir, app)?;
        server.env = self.server.env.clone();
        server.start().await?;
        Ok(server)
    }
}

/// Polls the Canvas's analytics until `users` entered and exited and nobody is pending or
/// waiting; answers the last analytics read.
pub async fn wait_until_finished(
    api: &Api,
    canvas: &str,
    users: u64,
    deadline: Instant,
) -> anyhow::Result<StepAnalytics> {
    loop {
        let analytics = api.analytics(canvas).await?;
        if analytics.entered == users && analytics.exited == users && analytics.unfinished() == 0 {
            return Ok(analytics);
        }
        if Instant::now() > deadline {
            bail!(
                "canvas {canvas} did not finish before the deadline: {}",
                analytics.json
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The list must hold exactly `expected`.
pub fn membership_problems(
    list: &str,
    actual: &BTreeSet<String>,
    expected: &BTreeSet<String>,
) -> Vec<String> {
    let missing = expected.difference(actual).count();
    let extra = actual.difference(expected).count();
    if missing == 0 && extra == 0 {
        return Vec::new();
    }
    vec![format!(
        "customer list {list}: {} members, {} expected: {missing} missing, {extra} not asked for",
        actual.len(),
        expected.len()
    )]
}

pub fn window_problems(checks: &[WindowCheck]) -> Vec<String> {
    checks
        .iter()
        .filter(|check| check.exceeded())
        .map(|check| {
            format!(
                "{} {} within {} ms: limit {}",
                check.max_seen, check.requests, check.window_ms, check.limit
            )
        })
        .collect()
}

/// What reached the sandbox: requests by kind and status.
pub fn request_figures(sandbox: &RecordedSandbox) -> Value {
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for arrival in sandbox.arrivals() {
        let kind = match arrival.kind {
            Kind::OAuth => "oauth",
            Kind::Read => "read",
            Kind::Write => "write",
        };
        *by_status
            .entry(format!("{kind} {}", arrival.status))
            .or_default() += 1;
    }
    let stats = sandbox.sandbox.stats();
    json!({
        "by_kind_and_status": by_status,
        "sandbox_max_in_1s": stats.users.iter().map(|u| u.max_in_1s).max(),
        "sandbox_max_in_60s": stats.users.iter().map(|u| u.max_in_60s).max(),
        "sandbox_rate_limited": stats.users.iter().map(|u| u.rate_limited).sum::<u64>(),
    })
}

impl Soak {
    /// `Ok(figures)` when nothing was violated; otherwise prints the figures and the end of
    /// the server's log, keeps the work directory, and fails with every violation.
    pub fn finish(
        mut self,
        figures: Value,
        violation_count: usize,
        violations: &[String],
    ) -> anyhow::Result<Value> {
        if violation_count == 0 {
            return Ok(figures);
        }
        eprintln!("{figures}");
        eprintln!("pinsync's log ends with:\n{}", self.server.log_tail(40));
        if let Some(work) = self.work.take() {
            eprintln!("soak: keeping {} for inspection", work.path().display());
            let _ = work.keep();
        }
        bail!(
            "{violation_count} violation(s), e.g.:\n  {}",
            violations.join("\n  ")
        )
    }
}
