//! `/api/v1/canvases` and `/api/v1/canvas/...`: Canvases and their lifecycle, entry, step
//! analytics, user traces, the dry run, and the OpenAPI document. One file per concern; this
//! one holds the router and what they share (ids, times, engine errors as API errors).

#[path = "canvases_analytics.rs"]
mod analytics;
#[path = "canvases_crud.rs"]
mod crud;
#[path = "canvases_entry.rs"]
mod entry;
#[path = "canvases_openapi.rs"]
mod openapi;
#[path = "canvases_trace.rs"]
mod trace;

use axum::Router;
use axum::http::StatusCode;
use pinsync_engine::EngineError;
use pinsync_store::{CanvasId, CanvasStatus};
use serde_json::json;

use crate::app::AppState;
use crate::error::ApiError;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(crud::router())
        .merge(entry::router())
        .merge(analytics::router())
        .merge(trace::router())
        .merge(openapi::router())
}

/// A Canvas id from a URL or a body: its decimal form.
pub(super) fn parse_canvas_id(text: &str) -> Result<CanvasId, ApiError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(CanvasId)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no canvas with id `{text}`: canvas ids are positive integers"
            ))
            .with_code("canvas_not_found")
        })
}

/// A millisecond timestamp as RFC 3339 text.
pub(super) fn iso(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The stable code of a lifecycle refusal: what the Canvas is.
fn status_code_name(status: CanvasStatus) -> &'static str {
    match status {
        CanvasStatus::Draft => "canvas_is_draft",
        CanvasStatus::Active => "canvas_is_active",
        CanvasStatus::Stopped => "canvas_is_stopped",
        CanvasStatus::Archived => "canvas_is_archived",
    }
}

trait WithCode {
    fn with_code(self, code: &'static str) -> Self;
}

impl WithCode for ApiError {
    fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::CanvasNotFound(id) => {
                ApiError::not_found(format!("no canvas with id {id} in this workspace"))
                    .with_code("canvas_not_found")
            }
            EngineError::WrongStatus { action, current } => ApiError::new(
                StatusCode::CONFLICT,
                status_code_name(current),
                format!("cannot {action} a canvas that is {current}"),
            )
            .with_details(json!({ "status": current })),
            EngineError::Invalid(problems) => ApiError::unprocessable(
                "canvas_invalid",
                format!(
                    "the canvas has {} problem(s); fix each one (see details.problems) and try again",
                    problems.len()
                ),
            )
            .with_details(json!({ "problems": problems })),
            EngineError::EditRefused(problems) => ApiError::unprocessable(
                "edit_not_allowed",
                format!(
                    "{} change(s) are not allowed on a launched canvas (see details.problems)",
                    problems.len()
                ),
            )
            .with_details(json!({ "problems": problems })),
            EngineError::NotUtf8 { line } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_encoding",
                format!("line {line} is not valid UTF-8; send the file as UTF-8"),
            )
            .with_details(json!({ "line": line })),
            EngineError::BadHeader { line, reason } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_csv_header",
                format!("the CSV header on line {line} is unusable: {reason}"),
            )
            .with_details(json!({ "line": line })),
            EngineError::Store(error) => error.into(),
        }
    }
}
