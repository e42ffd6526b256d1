//! The web dashboard, served at `/`: server-rendered askama pages with plain forms (a small
//! script of our own only enhances the audience combobox), working with no internet.
//!
//! - [`session`]: the session cookie, the signed-in extractor and CSRF-checked forms.
//! - [`passwords`]: argon2 hashes and the random tokens behind sessions and set-up links.
//! - `sign_in`: sign-in, sign-out, the first-start set-up page, the workspace switcher.
//! - `chrome`: what frames every page (user, workspace, sandbox label, connection banner).
//! - `partners`: Partner Integrations → Pinterest (connect, ad accounts, disconnect).
//! - `canvases`, `canvas_editor`, `editor_view`, `step_form`, `step_graph`: the Canvas list,
//!   lifecycle buttons and the step editor.
//! - `analytics`: per-Canvas and per-step analytics, the SVG chart, the user lookup.
//! - `retry_errored`: the "Retry errored users" button (the pipeline's `retry_errored`).
//! - `assets`: the embedded stylesheet and script.
//!
//! **Architecture invariant:** the dashboard implements no rule of its own: Canvases change
//! only through the engine, Pinterest only through the connection service, as the REST API
//! does. Every POST goes through [`session::CsrfForm`] or [`session::LoginForm`].

mod analytics;
mod assets;
mod canvas_editor;
mod canvases;
mod chart;
mod chrome;
mod editor_view;
mod error;
mod partners;
pub mod passwords;
mod retry_errored;
pub mod session;
mod sign_in;
mod step_form;
mod step_graph;

use axum::Router;

use crate::app::AppState;

pub use error::DashboardError;
pub use sign_in::validate_login;

/// Every dashboard route (pages, forms, static files), to merge at `/`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(sign_in::router())
        .merge(canvases::router())
        .merge(partners::router())
        .merge(analytics::router())
        .merge(retry_errored::router())
        .merge(assets::router())
}
