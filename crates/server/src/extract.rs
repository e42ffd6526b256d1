//! Request extractors with pinsync's error shape: JSON bodies that report the line and column
//! of a syntax error and answer 413 over the size limit, and the caller's workspace from the
//! `Authorization: Bearer <key>` header.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pinsync_store::WorkspaceId;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::error::ApiError;

/// A JSON body, whatever its `Content-Type` (so `curl -d @file.json` works).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Reads a whole body, answering 413 when it is over the configured limit.
pub async fn read_body(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(state.settings.max_body_bytes)
        } else {
            ApiError::new(rejection.status(), "unreadable_body", rejection.body_text())
        }
    })
}

/// Parses JSON, naming the line and column of the first problem.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::malformed_json(
            "the request body is empty; send a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        let what = match error.classify() {
            serde_json::error::Category::Data => "the JSON does not have the expected shape",
            serde_json::error::Category::Eof => "the JSON ends too early",
            _ => "the body is not valid JSON",
        };
        let message = format!(
            "{what} at line {} column {}: {}",
            error.line(),
            error.column(),
            strip_position(&error.to_string())
        );
        ApiError::malformed_json(message).with_details(serde_json::json!({
            "line": error.line(),
            "column": error.column(),
        }))
    })
}

fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// The workspace of the API key in `Authorization: Bearer <key>`.
#[derive(Debug, Clone, Copy)]
pub struct CallerWorkspace(pub WorkspaceId);

impl FromRequestParts<AppState> for CallerWorkspace {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "missing API key: send `Authorization: Bearer <key>` (create one with `pinsync admin create-key`)",
            ));
        };
        let key = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("malformed Authorization header: expected `Bearer <key>`")
            })?;
        let workspace = state
            .store
            .workspace_for_api_key(&crate::api_keys::hash(key))
            .await?
            .ok_or_else(|| ApiError::unauthorized("the API key is not valid or was revoked"))?;
        Ok(CallerWorkspace(workspace))
    }
}
