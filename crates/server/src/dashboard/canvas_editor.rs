//! The Canvas editor: the step graph (add, remove, move, branch), each step's settings,
//! the Audience Sync step's "Create Audience", and the notice at the top that says what the
//! last action did — including every launch problem, listed by step with a link to it.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pinsync_core::canvas::{CanvasDefinition, StepId, ValidationProblem};
use pinsync_engine::EngineError;
use pinsync_store::CanvasId;
use serde::Deserialize;

use super::canvases::canvas_id;
use super::chrome::Chrome;
use super::editor_view::{EditorPage, ProblemView, build_page};
use super::error::DashboardError;
use super::session::{CsrfForm, SignedIn};
use super::step_form::{self, StepFields};
use super::step_graph::{self, Attach};
use crate::app::AppState;
use crate::pinterest::{StepAudience, StepAudienceError, create_step_audience};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/canvases/{id}", get(editor).post(rename))
        .route("/canvases/{id}/steps", post(add_step))
        .route("/canvases/{id}/steps/{step}", post(save_step))
        .route("/canvases/{id}/steps/{step}/remove", post(remove_step))
        .route("/canvases/{id}/steps/{step}/move", post(move_step))
}

/// What the last action did, shown at the top of the editor.
pub(super) enum Outcome {
    Nothing,
    Success(String),
    Failure(String),
    /// Problems with the Canvas (launch or save), each linked to its step.
    Problems(String, Vec<ValidationProblem>),
    LaunchRefused(Vec<ValidationProblem>),
}

#[derive(Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

async fn editor(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
    signed_in: SignedIn,
) -> Result<Html<String>, DashboardError> {
    let outcome = match query.notice.as_str() {
        "launched" => Outcome::Success(
            "The Canvas is launched: users who enter now flow through its steps.".into(),
        ),
        "stopped" => Outcome::Success(
            "The Canvas is stopped: no new entries; pending syncs complete.".into(),
        ),
        "saved" => Outcome::Success("Saved.".into()),
        _ => Outcome::Nothing,
    };
    render_editor(&state, &signed_in, canvas_id(&id)?, outcome).await
}

/// Renders the editor of Canvas `id` with `outcome` at the top.
pub(super) async fn render_editor(
    state: &AppState,
    signed_in: &SignedIn,
    id: CanvasId,
    outcome: Outcome,
) -> Result<Html<String>, DashboardError> {
    let record = state.engine.canvas(signed_in.workspace(), id).await?;
    let chrome = Chrome::build(state, signed_in, "canvases").await?;
    let ad_accounts = match &state.pinterest {
        Some(pinterest) => match pinterest.view(signed_in.workspace()).await {
            Ok(view) => view
                .ad_accounts
                .into_iter()
                .filter(|a| a.selected)
                .map(|a| (a.id, a.name))
                .collect(),
            Err(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    let page: EditorPage = build_page(chrome, &record, ad_accounts, outcome);
    Ok(Html(page.render()?))
}

/// Saves `definition` through the engine, then shows the editor with `success` or with
/// what the engine refused.
async fn save_and_show(
    state: &AppState,
    signed_in: &SignedIn,
    id: CanvasId,
    definition: CanvasDefinition,
) -> Result<Response, DashboardError> {
    let saved = state
        .engine
        .update_canvas(
            signed_in.workspace(),
            id,
            definition,
            state.launch_checks.as_ref(),
        )
        .await;
    let outcome = match saved {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/canvases/{}?notice=saved", id.0)).into_response());
        }
        Err(EngineError::Invalid(problems)) => Outcome::Problems(
            "Not saved: the change leaves these problems.".into(),
            problems,
        ),
        Err(EngineError::EditRefused(problems)) => Outcome::Failure(format!(
            "Not saved: {}",
            problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        )),
        Err(error @ EngineError::WrongStatus { .. }) => {
            Outcome::Failure(format!("Not saved: {error}."))
        }
        Err(error) => return Err(error.into()),
    };
    Ok(render_editor(state, signed_in, id, outcome)
        .await?
        .into_response())
}

#[derive(Deserialize)]
struct RenameFields {
    #[serde(default)]
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed_in, form }: CsrfForm<RenameFields>,
) -> Result<Response, DashboardError> {
    let id = canvas_id(&id)?;
    let mut definition = state
        .engine
        .canvas(signed_in.workspace(), id)
        .await?
        .definition;
    definition.name = form.name.trim().to_owned();
    save_and_show(&state, &signed_in, id, definition).await
}

#[derive(Deserialize)]
struct AddFields {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    attach: String,
}

async fn add_step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed_in, form }: CsrfForm<AddFields>,
) -> Result<Response, DashboardError> {
    let id = canvas_id(&id)?;
    let mut definition = state
        .engine
        .canvas(signed_in.workspace(), id)
        .await?
        .definition;
    let step_id = step_graph::fresh_id(&definition, &form.kind);
    let name = match form.name.trim() {
        "" => default_name(&form.kind).to_owned(),
        name => name.to_owned(),
    };
    let step =
        step_form::new_step(&form.kind, step_id, name, None).map_err(DashboardError::BadRequest)?;
    step_graph::insert(&mut definition, step, &Attach::parse(&form.attach));
    save_and_show(&state, &signed_in, id, definition).await
}

fn default_name(kind: &str) -> &'static str {
    match kind {
        "audience_sync" => "Audience Sync",
        "delay" => "Delay",
        _ => "Decision Split",
    }
}

async fn save_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    CsrfForm { signed_in, form }: CsrfForm<StepFields>,
) -> Result<Response, DashboardError> {
    let id = canvas_id(&id)?;
    let workspace = signed_in.workspace();
    let mut definition = state.engine.canvas(workspace, id).await?.definition;
    let Some(index) = definition.steps.iter().position(|s| s.id.as_str() == step) else {
        return Err(DashboardError::NotFound(format!(
            "This Canvas has no step {step:?}."
        )));
    };
    let updated = match step_form::apply(&definition.steps[index], &form) {
        Ok(updated) => updated,
        Err(message) => {
            let problem = ValidationProblem::step(
                &StepId::new(step.as_str()),
                pinsync_core::canvas::ProblemCode::ExternalCheckFailed,
                message,
            );
            let outcome = Outcome::Problems("Not saved.".into(), vec![problem]);
            return Ok(render_editor(&state, &signed_in, id, outcome)
                .await?
                .into_response());
        }
    };
    definition.steps[index] = updated;
    if form.intent != "create_audience" {
        return save_and_show(&state, &signed_in, id, definition).await;
    }
    let outcome = create_audience(&state, &signed_in, &mut definition, index).await?;
    if let Outcome::Success(_) = &outcome {
        let saved = state
            .engine
            .update_canvas(workspace, id, definition, state.launch_checks.as_ref())
            .await;
        if let Err(error) = saved {
            let message = format!(
                "The audience was created on Pinterest, but the step could not be saved: {error}"
            );
            return Ok(
                render_editor(&state, &signed_in, id, Outcome::Failure(message))
                    .await?
                    .into_response(),
            );
        }
    }
    Ok(render_editor(&state, &signed_in, id, outcome)
        .await?
        .into_response())
}

/// Creates the step's new audience on Pinterest ([`create_step_audience`], the API's too)
/// and records its ids in the step; says what happened.
async fn create_audience(
    state: &AppState,
    signed_in: &SignedIn,
    definition: &mut CanvasDefinition,
    index: usize,
) -> Result<Outcome, DashboardError> {
    let Some(pinterest) = &state.pinterest else {
        return Ok(Outcome::Failure(
            "This pinsync runs without a Pinterest integration, so audiences cannot be created."
                .into(),
        ));
    };
    let step_id = definition.steps[index].id.clone();
    let result = create_step_audience(pinterest, signed_in.workspace(), definition, &step_id).await;
    Ok(match result {
        Ok(StepAudience::Created {
            name, audience_id, ..
        }) => Outcome::Success(format!(
            "Audience “{name}” created on Pinterest (audience {audience_id})."
        )),
        Ok(StepAudience::AlreadyCreated {
            name, audience_id, ..
        }) => Outcome::Success(format!(
            "The audience “{name}” already exists on Pinterest (audience {audience_id})."
        )),
        Ok(StepAudience::PendingCreation { name, .. }) => Outcome::Success(format!(
            "Pinterest does not accept an empty audience: “{name}” will be created with the first users synced."
        )),
        Err(StepAudienceError::StepNotFound(_) | StepAudienceError::NotAudienceSync(_)) => {
            Outcome::Failure("Only an Audience Sync step creates audiences.".into())
        }
        Err(StepAudienceError::NotNewAudience(_)) => Outcome::Failure(
            "Choose “Create new audience” and type its name before pressing Create Audience."
                .into(),
        ),
        Err(StepAudienceError::NoAdAccount(_)) => {
            Outcome::Failure("Choose the ad account before pressing Create Audience.".into())
        }
        Err(StepAudienceError::Connect(error)) => {
            Outcome::Failure(format!("The audience could not be created: {error}"))
        }
    })
}

#[derive(Deserialize)]
struct NoFields {}

async fn remove_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Response, DashboardError> {
    let id = canvas_id(&id)?;
    let mut definition = state
        .engine
        .canvas(signed_in.workspace(), id)
        .await?
        .definition;
    if !step_graph::remove(&mut definition, &StepId::new(step.as_str())) {
        return Err(DashboardError::NotFound(format!(
            "This Canvas has no step {step:?}."
        )));
    }
    save_and_show(&state, &signed_in, id, definition).await
}

#[derive(Deserialize)]
struct MoveFields {
    #[serde(default)]
    direction: String,
}

async fn move_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    CsrfForm { signed_in, form }: CsrfForm<MoveFields>,
) -> Result<Response, DashboardError> {
    let id = canvas_id(&id)?;
    let mut definition = state
        .engine
        .canvas(signed_in.workspace(), id)
        .await?
        .definition;
    let up = form.direction == "up";
    if !step_graph::move_step(&mut definition, &StepId::new(step.as_str()), up) {
        let message = "That step cannot move that way: only a step in a chain (one way in, one way out) swaps with its neighbour.".to_owned();
        return Ok(
            render_editor(&state, &signed_in, id, Outcome::Failure(message))
                .await?
                .into_response(),
        );
    }
    save_and_show(&state, &signed_in, id, definition).await
}

/// Problem views for the template: the step's name and a link to its section.
pub(super) fn problem_views(
    definition: &CanvasDefinition,
    problems: &[ValidationProblem],
) -> Vec<ProblemView> {
    problems
        .iter()
        .map(|problem| {
            let step = problem.step_id.as_ref();
            ProblemView {
                step_id: step.map(|s| s.to_string()).unwrap_or_default(),
                step_name: step
                    .and_then(|s| definition.step(s))
                    .map(|s| s.name.clone())
                    .or_else(|| step.map(|s| s.to_string()))
                    .unwrap_or_default(),
                code: problem.code.as_str(),
                message: problem.message.clone(),
            }
        })
        .collect()
}
