//! The Canvas list and the lifecycle buttons (create, duplicate, launch, stop, archive),
//! all through the Canvas engine the REST API uses. Launch failures are shown on the editor,
//! every problem listed by step with a link to it.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pinsync_core::canvas::{CanvasDefinition, StepId};
use pinsync_engine::EngineError;
use pinsync_store::{CanvasId, CanvasStatus};
use serde::Deserialize;

use super::canvas_editor;
use super::chrome::Chrome;
use super::error::DashboardError;
use super::session::{CsrfForm, SignedIn};
use crate::app::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/canvases", get(list).post(create))
        .route("/canvases/{id}/duplicate", post(duplicate))
        .route("/canvases/{id}/launch", post(launch))
        .route("/canvases/{id}/stop", post(stop))
        .route("/canvases/{id}/archive", post(archive))
        .merge(canvas_editor::router())
}

/// One row of the Canvas list.
struct CanvasRow {
    id: i64,
    name: String,
    status: &'static str,
    entered: u64,
    errored: u64,
    pending: u64,
    /// Why the Canvas cannot sync right now (e.g. the Pinterest token is invalid).
    problem: String,
}

#[derive(Template)]
#[template(path = "canvases.html")]
struct CanvasListPage {
    chrome: Chrome,
    canvases: Vec<CanvasRow>,
}

pub(super) fn status_name(status: CanvasStatus) -> &'static str {
    match status {
        CanvasStatus::Draft => "draft",
        CanvasStatus::Active => "active",
        CanvasStatus::Stopped => "stopped",
        CanvasStatus::Archived => "archived",
    }
}

/// A Canvas id from the URL, as a "not found" page when it is not one.
pub(super) fn canvas_id(text: &str) -> Result<CanvasId, DashboardError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(CanvasId)
        .ok_or_else(|| DashboardError::NotFound(format!("There is no Canvas {text:?}.")))
}

async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Html<String>, DashboardError> {
    let chrome = Chrome::build(&state, &signed_in, "canvases").await?;
    let records = state
        .store
        .list_canvases(signed_in.workspace(), false)
        .await?;
    let token_invalid = chrome
        .banner
        .as_ref()
        .is_some_and(|b| b.status == "invalid_token");
    let mut canvases = Vec::with_capacity(records.len());
    for record in records {
        let counts = state.store.canvas_counts(record.id).await?;
        let steps = counts.steps.values();
        canvases.push(CanvasRow {
            id: record.id.0,
            name: record.definition.name.clone(),
            status: status_name(record.status),
            entered: counts.entered,
            errored: steps.clone().map(|s| s.errored.values().sum::<u64>()).sum(),
            pending: steps.map(|s| s.pending).sum(),
            problem: if token_invalid
                && record.status == CanvasStatus::Active
                && record.definition.audience_sync_steps().next().is_some()
            {
                "Syncing is paused: the Pinterest token is invalid. Reconnect Pinterest.".into()
            } else {
                String::new()
            },
        });
    }
    Ok(Html(CanvasListPage { chrome, canvases }.render()?))
}

#[derive(Deserialize)]
struct CreateFields {
    #[serde(default)]
    name: String,
}

async fn create(
    State(state): State<AppState>,
    CsrfForm { signed_in, form }: CsrfForm<CreateFields>,
) -> Result<Redirect, DashboardError> {
    let definition = CanvasDefinition {
        name: form.name.trim().to_owned(),
        entry_step_id: StepId::default(),
        reentry: Default::default(),
        steps: Vec::new(),
    };
    let record = state
        .engine
        .create_canvas(signed_in.workspace(), definition)
        .await?;
    Ok(Redirect::to(&format!("/canvases/{}", record.id.0)))
}

#[derive(Deserialize)]
struct NoFields {}

async fn duplicate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Redirect, DashboardError> {
    let copy = state
        .engine
        .duplicate_canvas(signed_in.workspace(), canvas_id(&id)?)
        .await?;
    Ok(Redirect::to(&format!("/canvases/{}", copy.id.0)))
}

async fn launch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Response, DashboardError> {
    let id = canvas_id(&id)?;
    let result = state
        .engine
        .launch(signed_in.workspace(), id, state.launch_checks.as_ref())
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/canvases/{}?notice=launched", id.0)).into_response()),
        Err(EngineError::Invalid(problems)) => canvas_editor::render_editor(
            &state,
            &signed_in,
            id,
            canvas_editor::Outcome::LaunchRefused(problems),
        )
        .await
        .map(IntoResponse::into_response),
        Err(error) => Err(error.into()),
    }
}

async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Redirect, DashboardError> {
    let id = canvas_id(&id)?;
    state.engine.stop(signed_in.workspace(), id).await?;
    Ok(Redirect::to(&format!("/canvases/{}?notice=stopped", id.0)))
}

async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Redirect, DashboardError> {
    state
        .engine
        .archive(signed_in.workspace(), canvas_id(&id)?)
        .await?;
    Ok(Redirect::to("/canvases"))
}
