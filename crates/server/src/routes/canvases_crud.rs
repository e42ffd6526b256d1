//! Canvas CRUD and lifecycle: create, list, read, update, duplicate, launch, stop, archive.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use pinsync_core::canvas::CanvasDefinition;
use pinsync_store::CanvasRecord;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{iso, parse_canvas_id};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{CallerWorkspace, read_body};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/canvases", post(create).get(list))
        .route("/canvases/{id}", get(read).put(update))
        .route("/canvases/{id}/duplicate", post(duplicate))
        .route("/canvases/{id}/launch", post(launch))
        .route("/canvases/{id}/stop", post(stop))
        .route("/canvases/{id}/archive", post(archive))
}

/// A Canvas as the API shows it; `problems` lists what would stop it from launching (without
/// the checks that need the Pinterest connection).
pub(super) fn canvas_json(record: &CanvasRecord) -> Value {
    json!({
        "id": record.id.to_string(),
        "name": record.definition.name,
        "status": record.status,
        "definition": record.definition,
        "problems": record.definition.validate(),
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "launched_at": record.launched_at.map(iso),
        "stopped_at": record.stopped_at.map(iso),
        "archived_at": record.archived_at.map(iso),
    })
}

/// Reads a Canvas definition from the body, naming the line, column and field of a problem.
async fn definition_body(request: Request, state: &AppState) -> Result<CanvasDefinition, ApiError> {
    let bytes = read_body(request, state).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::malformed_json("the body is not UTF-8"))?;
    CanvasDefinition::parse_json(text).map_err(|error| {
        ApiError::malformed_json(error.to_string()).with_details(json!({
            "line": error.line,
            "column": error.column,
            "field": error.field,
        }))
    })
}

async fn create(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let definition = definition_body(request, &state).await?;
    let record = state.engine.create_canvas(workspace, definition).await?;
    Ok((StatusCode::CREATED, Json(canvas_json(&record))))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    include_archived: bool,
}

async fn list(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let records = state
        .store
        .list_canvases(workspace, query.include_archived)
        .await?;
    let mut canvases = Vec::with_capacity(records.len());
    for record in &records {
        canvases.push(with_connection_errors(&state, workspace, record).await?);
    }
    Ok(Json(json!({ "canvases": canvases })))
}

async fn read(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .engine
        .canvas(workspace, parse_canvas_id(&id)?)
        .await?;
    Ok(Json(
        with_connection_errors(&state, workspace, &record).await?,
    ))
}

/// [`canvas_json`] plus `connection_errors`: what stops a launched Canvas from syncing now
/// (token invalid, Pinterest disconnected, access lost to a step's ad account).
async fn with_connection_errors(
    state: &AppState,
    workspace: pinsync_store::WorkspaceId,
    record: &CanvasRecord,
) -> Result<Value, ApiError> {
    let errors =
        crate::pinterest::canvas_connection_errors(state.pinterest.as_deref(), workspace, record)
            .await?;
    let mut value = canvas_json(record);
    value["connection_errors"] = Value::Array(errors);
    Ok(value)
}

async fn update(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let id = parse_canvas_id(&id)?;
    let definition = definition_body(request, &state).await?;
    let record = state
        .engine
        .update_canvas(workspace, id, definition, state.launch_checks.as_ref())
        .await?;
    Ok(Json(canvas_json(&record)))
}

async fn duplicate(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let record = state
        .engine
        .duplicate_canvas(workspace, parse_canvas_id(&id)?)
        .await?;
    Ok((StatusCode::CREATED, Json(canvas_json(&record))))
}

async fn launch(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .engine
        .launch(
            workspace,
            parse_canvas_id(&id)?,
            state.launch_checks.as_ref(),
        )
        .await?;
    Ok(Json(canvas_json(&record)))
}

async fn stop(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let record = state.engine.stop(workspace, parse_canvas_id(&id)?).await?;
    Ok(Json(canvas_json(&record)))
}

async fn archive(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let record = state
        .engine
        .archive(workspace, parse_canvas_id(&id)?)
        .await?;
    Ok(Json(canvas_json(&record)))
}
