//! `/api/v1/partners/pinterest`: connecting Pinterest (OAuth connect and callback), reading
//! the connection, choosing ad accounts, checking, disconnecting. Audiences live in
//! `partners_audiences.rs`, events and webhooks in `partners_notifications.rs`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use pinsync_connect::{CallbackParams, ConnectError, ConnectionService, ConnectionView};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{CallerWorkspace, JsonBody};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/partners/pinterest",
            get(read_connection).delete(disconnect),
        )
        .route("/partners/pinterest/connect", get(connect))
        .route("/partners/pinterest/callback", get(callback))
        .route("/partners/pinterest/ad_accounts", put(select_ad_accounts))
        .route("/partners/pinterest/check", post(check))
        .merge(super::partners_audiences::router())
        .merge(super::partners_notifications::router())
        .merge(super::partners_steps::router())
}

/// The connection service, or a clear answer when pinsync runs without Pinterest.
pub(crate) fn service(state: &AppState) -> Result<&Arc<ConnectionService>, ApiError> {
    state.pinterest.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pinterest_not_configured",
            "this pinsync runs without a Pinterest integration",
        )
    })
}

/// Maps the connection service's errors to API answers that say what to do.
pub(crate) fn api_error(error: ConnectError) -> ApiError {
    let message = error.to_string();
    let (status, code) = match &error {
        ConnectError::StateMismatch => (StatusCode::BAD_REQUEST, "oauth_state_mismatch"),
        ConnectError::StateReused => (StatusCode::BAD_REQUEST, "oauth_state_reused"),
        ConnectError::StateExpired => (StatusCode::BAD_REQUEST, "oauth_state_expired"),
        ConnectError::AccessDenied => (StatusCode::FORBIDDEN, "access_denied"),
        ConnectError::OAuthError(_) => (StatusCode::BAD_REQUEST, "oauth_error"),
        ConnectError::MissingCode => (StatusCode::BAD_REQUEST, "missing_code"),
        ConnectError::NotConnected => (StatusCode::CONFLICT, "pinterest_not_connected"),
        ConnectError::InvalidToken => (StatusCode::CONFLICT, "invalid_token"),
        ConnectError::UnknownAdAccount(_) => (StatusCode::NOT_FOUND, "unknown_ad_account"),
        ConnectError::AdAccountNotSelected(_) => (StatusCode::CONFLICT, "ad_account_not_selected"),
        ConnectError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        ConnectError::Pinterest(pinterest) => return pinterest_error(pinterest),
        ConnectError::Store(_) | ConnectError::Cipher(_) => return ApiError::internal(&error),
    };
    ApiError::new(status, code, message)
}

fn pinterest_error(error: &pinsync_pinterest::PinterestError) -> ApiError {
    use pinsync_pinterest::PinterestError as E;
    let (status, code, advice) = match error {
        E::InvalidToken { .. } => (
            StatusCode::CONFLICT,
            "invalid_token",
            "disconnect and reconnect Pinterest",
        ),
        E::MissingScope { .. } => (
            StatusCode::CONFLICT,
            "missing_scope",
            "disconnect and reconnect Pinterest, granting every requested permission",
        ),
        E::AccessLost { .. } => (
            StatusCode::CONFLICT,
            "access_lost",
            "disconnect and reconnect Pinterest; make sure the Business Hub admin gave the app access to this ad account",
        ),
        E::NotFound { .. } => (StatusCode::NOT_FOUND, "pinterest_not_found", "check the id"),
        E::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "pinterest_rate_limited",
            "try again later",
        ),
        E::InvalidRequest { .. } => (
            StatusCode::BAD_GATEWAY,
            "pinterest_rejected",
            "check the values sent",
        ),
        E::Transient { .. } => (
            StatusCode::BAD_GATEWAY,
            "pinterest_unavailable",
            "try again later",
        ),
    };
    ApiError::new(
        status,
        code,
        format!("Pinterest answered: {}; {advice}", error.message()),
    )
    .with_details(json!({ "kind": error.kind(), "x_pinterest_rid": error.request_id() }))
}

async fn read_connection(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
) -> Result<Json<ConnectionView>, ApiError> {
    let view = service(&state)?.view(workspace).await.map_err(api_error)?;
    Ok(Json(view))
}

/// 302 to Pinterest's consent page; the JSON body repeats the URL for API clients.
async fn connect(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
) -> Result<Response, ApiError> {
    let service = service(&state)?;
    let url = service.begin_connect(workspace).await.map_err(api_error)?;
    let body = json!({ "authorize_url": url, "sandbox": service.is_sandbox() });
    Ok((StatusCode::FOUND, [(LOCATION, url)], Json(body)).into_response())
}

/// Hit by the browser coming back from Pinterest: authenticated by `state` alone.
async fn callback(
    State(state): State<AppState>,
    Query(params): Query<CallbackParams>,
) -> Result<Json<ConnectionView>, ApiError> {
    let view = service(&state)?
        .complete_callback(params)
        .await
        .map_err(api_error)?;
    Ok(Json(view))
}

#[derive(Deserialize)]
struct AdAccountSelection {
    ad_account_ids: Vec<String>,
}

async fn select_ad_accounts(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    JsonBody(selection): JsonBody<AdAccountSelection>,
) -> Result<Json<ConnectionView>, ApiError> {
    let view = service(&state)?
        .select_ad_accounts(workspace, selection.ad_account_ids)
        .await
        .map_err(api_error)?;
    Ok(Json(view))
}

async fn check(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
) -> Result<Json<ConnectionView>, ApiError> {
    let view = service(&state)?.check(workspace).await.map_err(api_error)?;
    Ok(Json(view))
}

async fn disconnect(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
) -> Result<Json<ConnectionView>, ApiError> {
    let view = service(&state)?
        .disconnect(workspace)
        .await
        .map_err(api_error)?;
    Ok(Json(view))
}
