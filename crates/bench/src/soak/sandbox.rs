//! The sandbox in-process on `127.0.0.1:0`, as the Pinterest that `pinsync serve` is
//! configured with, plus a log of every `/v5` request's arrival (taken before the sandbox's
//! injected latency and faults) so a soak can check each sliding window against the limits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::Mutex;
use pinsync_sandbox::{Sandbox, SandboxConfig};
use tokio::task::JoinHandle;

use super::windows::WindowCheck;

/// What Pinterest's limits count a request as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/v5/oauth/*`: never limited.
    OAuth,
    /// Any other `GET`.
    Read,
    /// Any other method (customer-list and audience writes).
    Write,
}

/// One `/v5` request as it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Since the sandbox started.
    pub at: Duration,
    pub kind: Kind,
    pub path: String,
    /// The status of the answer's head (0 until it is sent; a dropped connection sends the
    /// head and then cuts the body off).
    pub status: u16,
}

/// The sandbox, served with the arrival log.
pub struct RecordedSandbox {
    pub sandbox: Sandbox,
    addr: std::net::SocketAddr,
    started: Instant,
    log: Arc<Mutex<Vec<Arrival>>>,
    task: JoinHandle<()>,
}

impl RecordedSandbox {
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Self> {
        let sandbox = Sandbox::new(config);
        let log: Arc<Mutex<Vec<Arrival>>> = Arc::default();
        let started = Instant::now();
        let recorder = log.clone();
        let router = sandbox
            .router()
            .layer(axum::middleware::from_fn(move |request, next| {
                record(recorder.clone(), started, request, next)
            }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("soak: the sandbox stopped: {error}");
            }
        });
        Ok(Self {
            sandbox,
            addr,
            started,
            log,
            task,
        })
    }

    /// `http://addr/v5`
    pub fn api_url(&self) -> String {
        format!("http://{}/v5", self.addr)
    }

    /// `http://addr/oauth/`
    pub fn oauth_url(&self) -> String {
        format!("http://{}/oauth/", self.addr)
    }

    /// Now, on the clock of [`Arrival::at`].
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Every `/v5` request so far, in arrival order.
    pub fn arrivals(&self) -> Vec<Arrival> {
        let mut arrivals = self.log.lock().clone();
        arrivals.sort_by_key(|a| a.at);
        arrivals
    }

    /// The sandbox's limits (one Pinterest user sends everything in a soak) checked against
    /// every window of what arrived: writes per second and per minute, limited requests of
    /// any kind per second, reads per minute.
    pub fn window_checks(&self) -> Vec<WindowCheck> {
        let limits = self.sandbox.rate_limits();
        let arrivals = self.arrivals();
        let of = |wanted: &[Kind]| -> Vec<Duration> {
            arrivals
                .iter()
                .filter(|a| wanted.contains(&a.kind))
                .map(|a| a.at)
                .collect()
        };
        let writes = of(&[Kind::Write]);
        let reads = of(&[Kind::Read]);
        let limited = of(&[Kind::Read, Kind::Write]);
        let second = Duration::from_secs(1);
        let minute = Duration::from_secs(60);
        vec![
            WindowCheck::new(
                "writes",
                &writes,
                second,
                limits.ads_write_per_second.into(),
            ),
            WindowCheck::new(
                "writes",
                &writes,
                minute,
                limits.ads_write_per_minute.into(),
            ),
            WindowCheck::new("requests", &limited, second, limits.all_per_second.into()),
            WindowCheck::new("reads", &reads, minute, limits.ads_read_per_minute.into()),
        ]
    }
}

impl Drop for RecordedSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    log: Arc<Mutex<Vec<Arrival>>>,
    started: Instant,
    request: Request,
    next: Next,
) -> Response {
    let at = started.elapsed();
    let path = request.uri().path().to_owned();
    if !path.starts_with("/v5/") {
        return next.run(request).await;
    }
    let kind = if path.starts_with("/v5/oauth/") {
        Kind::OAuth
    } else if request.method() == axum::http::Method::GET {
        Kind::Read
    } else {
        Kind::Write
    };
    let index = {
        let mut log = log.lock();
        log.push(Arrival {
            at,
            kind,
            path,
            status: 0,
        });
        log.len() - 1
    };
    let response = next.run(request).await;
    log.lock()[index].status = response.status().as_u16();
    response
}
