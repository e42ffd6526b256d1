//! Pinterest wiring of `pinsync serve`: the connection service from the configured app, or
//! the built-in sandbox mounted under `/sandbox` when no app is configured; the background
//! loop that claims due token refreshes and webhook deliveries; `pinsync sandbox`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use pinsync_connect::{ConnectionService, PinterestSettings, TokenCipher};
use pinsync_pinterest::{PinterestConfig, Secret};
use pinsync_sandbox::{Sandbox, SandboxConfig};
use pinsync_store::Store;

use crate::config::Config;

/// Where the built-in sandbox sends the browser back after consent (the dashboard's callback).
const DASHBOARD_CALLBACK: &str = "/partners/pinterest/callback";

/// Where the built-in sandbox is mounted in pinsync's own server.
pub const SANDBOX_PREFIX: &str = "/sandbox";
/// How often the background loop looks for due refreshes and deliveries.
const BACKGROUND_PERIOD: Duration = Duration::from_secs(15);

/// The connection service and, in sandbox mode, the sandbox router to mount.
pub struct PinterestWiring {
    pub service: Arc<ConnectionService>,
    pub sandbox_router: Option<Router>,
    /// One line for start-up output.
    pub description: String,
}

/// The base URL clients use to reach `listen` (a wildcard address becomes loopback).
fn reachable_base(listen: SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        listen.ip().to_string()
    };
    match listen {
        SocketAddr::V6(_) if !listen.ip().is_unspecified() => {
            format!("http://[{host}]:{}", listen.port())
        }
        _ => format!("http://{host}:{}", listen.port()),
    }
}

/// Builds the connection service for the address pinsync is bound to.
pub fn wire(
    config: &Config,
    store: Arc<dyn Store>,
    bound: SocketAddr,
) -> anyhow::Result<PinterestWiring> {
    let env_key = std::env::var("PINSYNC_SECRET_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    let cipher = TokenCipher::load(env_key.as_deref(), &config.data_dir)
        .context("cannot load the key that encrypts Pinterest tokens")?;
    let app = &config.pinterest;
    let (settings, sandbox_router, description) = match (
        &app.client_id,
        &app.client_secret,
        &app.redirect_uri,
    ) {
        (Some(client_id), Some(secret), Some(redirect_uri)) => {
            let mut client = PinterestConfig::new(client_id.clone(), Secret::new(secret.clone()));
            if let Some(base) = &app.api_base {
                client.api_base = base.trim_end_matches('/').to_owned();
            }
            if let Some(oauth) = &app.oauth_url {
                client.oauth_authorize_url = oauth.clone();
            }
            let description = format!("Pinterest: app {client_id} at {}", client.api_base);
            let settings = PinterestSettings {
                client,
                redirect_uri: redirect_uri.clone(),
                sandbox: false,
                rate_limits: app.rate_limits.to_limiter_config(),
            };
            (settings, None, description)
        }
        _ => {
            // The browser comes back to the dashboard's callback: it completes the connection
            // through the same service as the API's callback, then shows the Pinterest page.
            // Both paths are registered on the sandbox's app (on any loopback port).
            let mut sandbox_config = SandboxConfig::default();
            for host in ["127.0.0.1", "localhost"] {
                sandbox_config
                    .app
                    .redirect_uris
                    .push(format!("http://{host}:8080{DASHBOARD_CALLBACK}"));
            }
            let sandbox = Sandbox::new(sandbox_config);
            let seed = sandbox.seed().app;
            let base = format!("{}{SANDBOX_PREFIX}", reachable_base(bound));
            let mut client = PinterestConfig::new(seed.client_id, Secret::new(seed.client_secret))
                .with_api_base(format!("{base}/v5"));
            client.oauth_authorize_url = format!("{base}/oauth/");
            let settings = PinterestSettings {
                client,
                redirect_uri: format!("{}{DASHBOARD_CALLBACK}", reachable_base(bound)),
                sandbox: true,
                rate_limits: app.rate_limits.to_limiter_config(),
            };
            let description = format!(
                "Pinterest: built-in sandbox (no Pinterest app configured) at {base}/v5 (consent page {base}/oauth/, control API {base}/_sandbox/)"
            );
            (settings, Some(sandbox.router()), description)
        }
    };
    let service = ConnectionService::new(store, cipher, settings)
        .map_err(|e| anyhow::anyhow!("cannot build the Pinterest client: {e}"))?;
    Ok(PinterestWiring {
        service: Arc::new(service),
        sandbox_router,
        description,
    })
}

/// Claims due proactive refreshes and webhook deliveries every few seconds until `stop`.
pub async fn run_background_loop(
    service: Arc<ConnectionService>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(BACKGROUND_PERIOD);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let now = pinsync_store::now_millis();
        if let Err(error) = service.refresh_due_connections(now).await {
            tracing::warn!(error = %error, "proactive token refresh pass failed");
        }
        if let Err(error) = service.notifier().deliver_due(now).await {
            tracing::warn!(error = %error, "webhook delivery pass failed");
        }
    }
}

/// `pinsync sandbox --listen ADDR [--config FILE]`: the sandbox alone.
pub async fn run_sandbox(listen: SocketAddr, config: Option<PathBuf>) -> anyhow::Result<()> {
    let sandbox_config = match &config {
        Some(path) => SandboxConfig::from_toml_file(path)?,
        None => SandboxConfig::default(),
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    eprintln!(
        "Pinterest sandbox on http://{address}: API http://{address}/v5, consent page http://{address}/oauth/, control API http://{address}/_sandbox/seed"
    );
    Sandbox::new(sandbox_config)
        .serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_listen_address_is_reached_over_loopback() {
        let table = [
            ("0.0.0.0:8080", "http://127.0.0.1:8080"),
            ("127.0.0.1:9", "http://127.0.0.1:9"),
            ("[::1]:80", "http://[::1]:80"),
        ];
        for (listen, expected) in table {
            assert_eq!(reachable_base(listen.parse().unwrap()), expected);
        }
    }
}
