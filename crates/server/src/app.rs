//! The shared application state, the router, and [`serve`].

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use metrics_exporter_prometheus::PrometheusHandle;
use pinsync_engine::{Engine, LaunchChecks, NoLaunchChecks};
use pinsync_pipeline::Pipeline;
use pinsync_store::Store;
use tokio::net::TcpListener;

use crate::error::ApiError;
use crate::routes;
use crate::telemetry;

/// Settings of the HTTP server, validated by the caller's config loader.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The largest request body accepted, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// The most users one `users/track` call may carry.
    pub max_users_per_track: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            max_users_per_track: 10_000,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<ServerSettings>,
    pub metrics: PrometheusHandle,
    /// The Canvas engine (lifecycle, entry, timers, analytics).
    pub engine: Engine,
    /// The checks launch runs through the Pinterest connection; by default none.
    pub launch_checks: Arc<dyn LaunchChecks>,
    /// The Pinterest connection service; `None` when pinsync runs without Pinterest.
    pub pinterest: Option<Arc<pinsync_connect::ConnectionService>>,
    /// The sync pipeline `serve`'s background loop runs (the same one, so a requeue and the
    /// loop share its caches); `None` when pinsync runs without Pinterest.
    pub pipeline: Option<Pipeline>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: ServerSettings) -> Self {
        Self {
            engine: Engine::with_system_clock(store.clone()),
            store,
            settings: Arc::new(settings),
            metrics: telemetry::prometheus_handle(),
            launch_checks: Arc::new(NoLaunchChecks),
            pinterest: None,
            pipeline: None,
        }
    }

    /// The same state with another engine (e.g. one on a manual clock in tests).
    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// The same state with a Pinterest connection service.
    pub fn with_pinterest(mut self, service: Arc<pinsync_connect::ConnectionService>) -> Self {
        self.pinterest = Some(service);
        self
    }

    /// The same state with the sync pipeline (`retry_errored`, consent removals).
    pub fn with_pipeline(mut self, pipeline: Pipeline) -> Self {
        self.pipeline = Some(pipeline);
        self
    }

    /// The same state with other launch checks (the Pinterest connection's).
    pub fn with_launch_checks(mut self, checks: Arc<dyn LaunchChecks>) -> Self {
        self.launch_checks = checks;
        self
    }
}

/// The whole HTTP surface of pinsync.
pub fn router(state: AppState) -> Router {
    let api = routes::users::router()
        .merge(routes::partners::router())
        .merge(routes::canvases::router())
        .merge(routes::steps_retry_errored::router());
    Router::new()
        .merge(routes::health::router())
        .merge(crate::dashboard::router())
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .layer(middleware::from_fn(telemetry::record_request))
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no endpoint at {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
