//! pinsync's HTTP API (axum): health, readiness and metrics endpoints, and the REST API under
//! `/api/v1`, authenticated with workspace API keys.
//!
//! - [`app`]: the shared state and the router; [`serve`] runs it until shutdown.
//! - [`error`]: [`ApiError`], the one JSON error shape every endpoint answers with.
//! - [`extract`]: request extractors (JSON bodies with good errors, the caller's workspace).
//! - [`dashboard`]: the web dashboard at `/` (askama pages, sessions, CSRF).
//! - [`api_keys`]: generating and hashing workspace API keys.
//! - [`telemetry`]: the Prometheus recorder and per-request metrics and logs.
//! - `routes`: one module per group of endpoints.

pub mod api_keys;
pub mod app;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod pinterest;
mod routes;
pub mod telemetry;

pub use app::{AppState, ServerSettings, router, serve};
pub use error::ApiError;
