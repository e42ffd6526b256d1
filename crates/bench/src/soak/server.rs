//! The real `pinsync serve` as a child process: one data directory and one loopback port for
//! the whole soak, configured with a Pinterest app that points at the soak's sandbox; started,
//! killed with SIGKILL, started again, and stopped with SIGTERM at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use tokio::process::{Child, Command};

/// How long a start may take before the soak gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a graceful stop may take (the pipeline's shutdown grace is 30 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// The `pinsync` binary: `explicit`, else the one next to this benchmark's own binary (same
/// target directory and profile).
pub fn locate_binary(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let binary = match explicit {
        Some(path) => path,
        None => std::env::current_exe()?
            .parent()
            .context("the benchmark binary has no directory")?
            .join("pinsync"),
    };
    ensure!(
        binary.is_file(),
        "no pinsync binary at {} (build it with `cargo build -p pinsync`, with --release for a \
         release benchmark, or pass --pinsync-bin)",
        binary.display()
    );
    Ok(binary)
}

/// The Pinterest app `pinsync serve` is given: the sandbox's seeded app and URLs.
pub struct PinterestApp {
    pub client_id: String,
    pub client_secret: String,
    pub api_base: String,
    pub oauth_url: String,
}

pub struct PinsyncProcess {
    binary: PathBuf,
    data_dir: PathBuf,
    listen: SocketAddr,
    app: PinterestApp,
    log_path: PathBuf,
    child: Option<Child>,
    http: reqwest::Client,
    /// Extra `PINSYNC_*` settings of every start, e.g. the pipeline's batch size.
    pub env: Vec<(String, String)>,
    /// Processes started so far.
    pub starts: u32,
}

impl PinsyncProcess {
    /// Picks a free loopback port (kept for every restart, since the OAuth redirect URI names
    /// it) and prepares the data directory; nothing runs yet.
    pub fn new(binary: PathBuf, work_dir: &Path, app: PinterestApp) -> anyhow::Result<Self> {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        let listen = probe.local_addr()?;
        drop(probe);
        let data_dir = work_dir.join("data");
        std::fs::create_dir_all(&data_dir)?;
        Ok(Self {
            binary,
            data_dir,
            listen,
            app,
            log_path: work_dir.join("pinsync.log"),
            child: None,
            http: reqwest::Client::new(),
            env: Vec::new(),
            starts: 0,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// The running process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.listen)
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("PINSYNC_")) {
            command.env_remove(name);
        }
        let redirect = format!("{}/api/v1/partners/pinterest/callback", self.base_url());
        command
            .env("PINSYNC_DATA_DIR", &self.data_dir)
            .env("PINSYNC_LISTEN", self.listen.to_string())
            .env("PINSYNC_LOG", "warn")
            .env("PINSYNC_LOG_FORMAT", "json")
            .env("PINSYNC_PINTEREST_CLIENT_ID", &self.app.client_id)
            .env("PINSYNC_PINTEREST_CLIENT_SECRET", &self.app.client_secret)
            .env("PINSYNC_PINTEREST_REDIRECT_URI", redirect)
            .env("PINSYNC_PINTEREST_API_BASE", &self.app.api_base)
            .env("PINSYNC_PINTEREST_OAUTH_URL", &self.app.oauth_url)
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null());
        command
    }

    /// `pinsync admin create-key`: a new API key for the default workspace.
    pub async fn create_api_key(&self) -> anyhow::Result<String> {
        self.create_api_key_in(None).await
    }

    /// `pinsync admin create-key [--workspace NAME]`: a new API key for that workspace
    /// (created if new), or for the default one.
    pub async fn create_api_key_in(&self, workspace: Option<&str>) -> anyhow::Result<String> {
        let mut command = self.command();
        command.args(["admin", "create-key"]);
        if let Some(name) = workspace {
            command.args(["--workspace", name]);
        }
        let output = command.stderr(Stdio::piped()).output().await?;
        ensure!(
            output.status.success(),
            "pinsync admin create-key failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let key = String::from_utf8(output.stdout)?.trim().to_owned();
        ensure!(!key.is_empty(), "pinsync admin create-key printed no key");
        Ok(key)
    }

    /// Starts `pinsync serve` and waits until `/readyz` answers 200. Returns how long that took.
    pub async fn start(&mut self) -> anyhow::Result<Duration> {
        ensure!(self.child.is_none(), "pinsync is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let started = Instant::now();
        let child = self
            .command()
            .arg("serve")
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))?;
        self.child = Some(child);
        self.starts += 1;
        let ready = format!("{}/readyz", self.base_url());
        loop {
            if let Ok(answer) = self.http.get(&ready).send().await
                && answer.status().is_success()
            {
                return Ok(started.elapsed());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                bail!(
                    "pinsync serve exited before it was ready ({status}); its log ends with:\n{}",
                    self.log_tail(30)
                );
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "pinsync serve was not ready after {READY_TIMEOUT:?}; its log ends with:\n{}",
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, then reaps the process.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        let mut child = self.child.take().context("pinsync is not running")?;
        child.start_kill()?;
        child.wait().await?;
        Ok(())
    }

    /// SIGTERM, then waits for a graceful exit.
    pub async fn stop(&mut self) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("pinsync is not running")?;
        let pid = child.id().context("pinsync has no process id")?;
        let signalled = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await?;
        ensure!(signalled.success(), "cannot send SIGTERM to pinsync");
        match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
            Ok(status) => Ok(status?),
            Err(_) => {
                child.start_kill()?;
                bail!("pinsync did not stop within {STOP_TIMEOUT:?} of SIGTERM")
            }
        }
    }

    /// The last `lines` lines of the server's log (every start appends to it).
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Log lines at level ERROR, for the report.
    pub fn error_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("\"level\":\"ERROR\""))
            .map(str::to_owned)
            .collect()
    }
}
