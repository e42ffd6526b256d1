//! The Pinterest sandbox: a faithful local implementation of the parts of Pinterest API v5
//! that pinsync uses, so pinsync can be tried, tested and benchmarked without credentials.
//!
//! The parts:
//! - [`config`]: the seed (app, users, ad accounts with roles) and every switch, from TOML;
//! - [`clock`]: the injectable time source ([`SystemClock`], [`ManualClock`]);
//! - `consent` (`/oauth/`), `oauth` (`/v5/oauth/token`, `/revoke`) and `tokens` (the store);
//! - `ad_accounts`, `customer_lists`, `audiences`: the `/v5` resources, with `records`
//!   classification in `records` and bookmark paging in `pagination`;
//! - `gateway`: rate limits ([`rate_limit`]), fault injection ([`faults`]) and statistics
//!   ([`stats`]) around every `/v5` call;
//! - `control`: the `/_sandbox/` control and inspection API, mirrored by methods on [`Sandbox`].
//!
//! **Invariant:** nothing under `/v5` exists in the real API only for the sandbox's sake;
//! every sandbox-only route lives under `/_sandbox/`.

mod ad_accounts;
mod audiences;
pub mod clock;
pub mod config;
mod consent;
mod control;
mod customer_lists;
pub mod error;
mod extract;
pub mod faults;
mod gateway;
mod oauth;
mod pagination;
pub mod rate_limit;
pub mod records;
mod state;
pub mod stats;
mod tokens;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ConfigError, SandboxConfig};
pub use control::{ControlError, SeedAdAccount, SeedApp, SeedInfo, SeedUser};
pub use faults::{FaultConfig, Latency};
pub use rate_limit::RateLimitConfig;
pub use stats::{EndpointCount, StatsSnapshot, WindowStats};
pub use tokens::TokenGrant;

use config::KNOWN_ROLES;
use state::SandboxState;
use tokens::Caller;

/// A running-or-mountable sandbox. Clones share the same state.
#[derive(Clone)]
pub struct Sandbox {
    state: Arc<SandboxState>,
}

impl Sandbox {
    /// A sandbox on the system clock.
    pub fn new(config: SandboxConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A sandbox on the given clock (tests pass a [`ManualClock`]).
    pub fn with_clock(config: SandboxConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::new(SandboxState::new(config, clock)),
        }
    }

    /// Routes: `/v5/...`, `/oauth/` (consent page and its form POST), `/_sandbox/...`.
    pub fn router(&self) -> Router {
        let state = self.state.clone();
        // Room for the largest allowed `records` string (~65 bytes a record) plus JSON framing.
        let max_records = state.config.customer_lists.max_records_per_request;
        let body_limit = (max_records.saturating_mul(80)).max(2 * 1024 * 1024);
        let api = Router::new()
            .route("/v5/oauth/token", post(oauth::token))
            .route("/v5/oauth/token/revoke", post(oauth::revoke))
            .route("/v5/user_account", get(ad_accounts::get_user_account))
            .route("/v5/ad_accounts", get(ad_accounts::list_ad_accounts))
            .route(
                "/v5/ad_accounts/{ad_account_id}",
                get(ad_accounts::get_ad_account),
            )
            .route(
                "/v5/ad_accounts/{ad_account_id}/customer_lists",
                get(customer_lists::list).post(customer_lists::create),
            )
            .route(
                "/v5/ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}",
                get(customer_lists::get).patch(customer_lists::update),
            )
            .route(
                "/v5/ad_accounts/{ad_account_id}/audiences",
                get(audiences::list).post(audiences::create),
            )
            .route(
                "/v5/ad_accounts/{ad_account_id}/audiences/{audience_id}",
                get(audiences::get).patch(audiences::update),
            )
            .route_layer(from_fn_with_state(state.clone(), gateway::api_gateway))
            .layer(DefaultBodyLimit::max(body_limit))
            .route("/oauth/", get(consent::page).post(consent::decide))
            .with_state(state.clone());
        api.merge(control::router(self.clone()))
            .layer(from_fn_with_state(state, gateway::request_id))
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Binds `127.0.0.1:0`, serves in a background task and returns the handle.
    pub async fn spawn(config: SandboxConfig) -> std::io::Result<RunningSandbox> {
        Self::new(config).start().await
    }

    /// Like [`Sandbox::spawn`], for an already built sandbox (e.g. on a [`ManualClock`]).
    pub async fn start(self) -> std::io::Result<RunningSandbox> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let task = tokio::spawn(self.clone().serve(listener, shutdown));
        Ok(RunningSandbox {
            addr,
            sandbox: self,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The seeded app, users and ad accounts with their current roles.
    pub fn seed(&self) -> SeedInfo {
        let config = &self.state.config;
        SeedInfo {
            app: SeedApp {
                name: config.app.name.clone(),
                client_id: config.app.client_id.clone(),
                client_secret: config.app.client_secret.clone(),
                redirect_uris: config.app.redirect_uris.clone(),
                allow_any_loopback_redirect: config.app.allow_any_loopback_redirect,
            },
            users: config
                .users
                .iter()
                .map(|u| SeedUser {
                    id: u.id.clone(),
                    username: u.username.clone(),
                })
                .collect(),
            ad_accounts: self
                .state
                .ad_accounts
                .read()
                .values()
                .map(|a| SeedAdAccount {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    owner_user_id: a.owner_user_id.clone(),
                    roles: a.roles.clone(),
                })
                .collect(),
        }
    }

    /// A token for a seeded user (by id or username) without the browser flow.
    pub fn issue_token(&self, user: &str, scopes: &[String]) -> Result<TokenGrant, ControlError> {
        let user = self
            .state
            .user(user)
            .ok_or_else(|| ControlError::UnknownUser(user.to_owned()))?;
        if let Some(unknown) = scopes.iter().find(|s| !s.contains(':')) {
            return Err(ControlError::UnknownScope(unknown.clone()));
        }
        let caller = Caller {
            user_id: user.id.clone(),
            client_id: self.state.config.app.client_id.clone(),
            scopes: scopes.to_vec(),
        };
        Ok(self
            .state
            .tokens
            .issue(caller, &self.state.config.tokens, self.state.clock.now()))
    }

    /// Revokes an access token, or a refresh token and every access token of its grant.
    pub fn revoke_token(&self, token: &str) -> Result<(), ControlError> {
        self.state
            .tokens
            .revoke(token)
            .then_some(())
            .ok_or(ControlError::UnknownToken)
    }

    /// Makes an access or refresh token expired from now on.
    pub fn expire_token(&self, token: &str) -> Result<(), ControlError> {
        self.state
            .tokens
            .expire(token, self.state.clock.now())
            .then_some(())
            .ok_or(ControlError::UnknownToken)
    }

    /// Sets (`Some(role)`) or removes (`None`) a user's role on an ad account.
    pub fn set_role(
        &self,
        ad_account_id: &str,
        user: &str,
        role: Option<&str>,
    ) -> Result<(), ControlError> {
        let user_id = self
            .state
            .user(user)
            .ok_or_else(|| ControlError::UnknownUser(user.to_owned()))?
            .id
            .clone();
        if let Some(role) = role
            && !KNOWN_ROLES.contains(&role)
        {
            return Err(ControlError::UnknownRole(role.to_owned()));
        }
        let mut accounts = self.state.ad_accounts.write();
        let account = accounts
            .get_mut(ad_account_id)
            .ok_or_else(|| ControlError::UnknownAdAccount(ad_account_id.to_owned()))?;
        match role {
            Some(role) => account.roles.insert(user_id, role.to_owned()),
            None => account.roles.remove(&user_id),
        };
        Ok(())
    }

    /// Deletes a customer list; later calls on it answer 404.
    pub fn delete_customer_list(&self, customer_list_id: &str) -> Result<(), ControlError> {
        let id: u64 = customer_list_id
            .parse()
            .map_err(|_| ControlError::NotFound)?;
        self.state
            .customer_lists
            .write()
            .remove(&id)
            .map(drop)
            .ok_or(ControlError::NotFound)
    }

    /// Deletes an audience; later calls on it answer 404.
    pub fn delete_audience(&self, audience_id: &str) -> Result<(), ControlError> {
        let id: u64 = audience_id.parse().map_err(|_| ControlError::NotFound)?;
        self.state
            .audiences
            .lock()
            .remove(&id)
            .map(drop)
            .ok_or(ControlError::NotFound)
    }

    /// The true membership of a list: records added and not removed.
    pub fn list_members(&self, customer_list_id: &str) -> Option<BTreeSet<String>> {
        let id: u64 = customer_list_id.parse().ok()?;
        let list = self.state.customer_list(id)?;
        let members = list.lock().members.iter().cloned().collect();
        Some(members)
    }

    pub fn faults(&self) -> FaultConfig {
        self.state.faults.read().clone()
    }

    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), ControlError> {
        faults.validate().map_err(ControlError::Invalid)?;
        *self.state.faults.write() = faults;
        Ok(())
    }

    pub fn rate_limits(&self) -> RateLimitConfig {
        self.state.rate_limiter.config()
    }

    pub fn set_rate_limits(&self, limits: RateLimitConfig) {
        self.state.rate_limiter.set_config(limits);
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }

    /// The sandbox's time source.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.state.clock.clone()
    }
}

/// A sandbox serving in a background task; shuts down on drop or via [`RunningSandbox::shutdown`].
pub struct RunningSandbox {
    pub addr: SocketAddr,
    pub sandbox: Sandbox,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSandbox {
    /// `http://addr`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://addr/v5`, the base URL a Pinterest client is given.
    pub fn api_url(&self) -> String {
        format!("http://{}/v5", self.addr)
    }

    /// `http://addr/oauth/`, the authorization URL.
    pub fn oauth_url(&self) -> String {
        format!("http://{}/oauth/", self.addr)
    }

    /// Stops serving and waits for the server task to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
