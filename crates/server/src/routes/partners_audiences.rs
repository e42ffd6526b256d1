//! `/api/v1/partners/pinterest/ad_accounts/{id}/audiences`: the step editor's audience
//! search (typeahead, paginated), creation, and Pinterest-side status.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use pinsync_connect::{AudiencePage, AudienceStatus, CreatedAudience};
use serde::Deserialize;
use serde_json::{Value, json};

use super::partners::{api_error, service};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{CallerWorkspace, JsonBody};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/partners/pinterest/ad_accounts/{ad_account_id}/audiences",
            get(search).post(create),
        )
        .route(
            "/partners/pinterest/ad_accounts/{ad_account_id}/audiences/{audience_id}",
            get(status),
        )
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    query: String,
    bookmark: Option<String>,
    page_size: Option<usize>,
}

async fn search(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(ad_account_id): Path<String>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<AudiencePage>, ApiError> {
    let page = service(&state)?
        .search_audiences(
            workspace,
            &ad_account_id,
            &query.query,
            query.bookmark.as_deref(),
            query.page_size.unwrap_or(25),
        )
        .await
        .map_err(api_error)?;
    Ok(Json(page))
}

#[derive(Deserialize)]
struct NewAudience {
    name: String,
}

async fn create(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(ad_account_id): Path<String>,
    JsonBody(body): JsonBody<NewAudience>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let created = service(&state)?
        .create_audience(workspace, &ad_account_id, &body.name)
        .await
        .map_err(api_error)?;
    let status = match created {
        CreatedAudience::Created { .. } => StatusCode::CREATED,
        CreatedAudience::PendingCreation { .. } => StatusCode::ACCEPTED,
    };
    let mut body = serde_json::to_value(&created).unwrap_or_else(|_| json!({}));
    body["ad_account_id"] = json!(ad_account_id);
    Ok((status, Json(body)))
}

async fn status(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path((ad_account_id, audience_id)): Path<(String, String)>,
) -> Result<Json<AudienceStatus>, ApiError> {
    let status = service(&state)?
        .audience_status(workspace, &ad_account_id, &audience_id)
        .await
        .map_err(api_error)?;
    Ok(Json(status))
}
