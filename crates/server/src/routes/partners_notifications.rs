//! `/api/v1/events` (the notification events list) and `/api/v1/webhooks` (where events are
//! POSTed, signed with `X-Pinsync-Signature`).

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::partners::{api_error, service};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{CallerWorkspace, JsonBody};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(events))
        .route("/webhooks", put(set_webhooks))
}

#[derive(Deserialize)]
struct EventsQuery {
    limit: Option<u32>,
}

async fn events(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Query(query): Query<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let events = state.store.events(workspace, limit).await?;
    Ok(Json(json!({ "events": events })))
}

#[derive(Deserialize)]
struct WebhookConfig {
    urls: Vec<String>,
}

/// Replaces the webhook URLs; the answer carries the signing secret, shown only this once.
async fn set_webhooks(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    JsonBody(config): JsonBody<WebhookConfig>,
) -> Result<Json<Value>, ApiError> {
    let secret = service(&state)?
        .notifier()
        .set_webhooks(workspace, config.urls.clone())
        .await
        .map_err(api_error)?;
    Ok(Json(json!({
        "urls": config.urls,
        "signing_secret": secret,
        "signature_header": pinsync_connect::SIGNATURE_HEADER,
    })))
}
