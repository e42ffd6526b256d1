//! `GET /api/v1/openapi.json`: the OpenAPI document of the Canvas API (`openapi/canvases.json`).

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::app::AppState;

/// The document, checked for JSON validity by the tests.
pub(crate) const OPENAPI_JSON: &str = include_str!("../../openapi/canvases.json");

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi))
}

async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}
