//! Pinterest-shaped error answers: `{"code": <int>, "message": <str>}` with the HTTP status
//! and code the reference gives for each situation.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The message Pinterest sends with a 429 code 8.
pub const RATE_LIMIT_MESSAGE: &str = "This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits within a short time window.";

/// An error answer of the Pinterest API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401 code 2: missing, malformed, unknown, expired or revoked token, or bad client auth.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// 401 code 3: the token lacks the scope the endpoint needs.
    #[error("missing scope")]
    MissingScope,
    /// 403 code 29: the user has no (or not enough) access to the ad account.
    #[error("forbidden")]
    Forbidden,
    /// 404 with a message naming what was not found.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// 400 code 1 with a detail saying which parameter is wrong.
    #[error("invalid parameters: {0}")]
    InvalidParameters(String),
    /// 429 code 8; `spam` adds the spam `message_detail` variant.
    #[error("rate limited")]
    RateLimited { spam: bool },
    /// 500 or 503 injected by a fault switch.
    #[error("server error {0}")]
    ServerError(u16),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u32,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_detail: Option<&'a str>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::AuthenticationFailed | Self::MissingScope => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::InvalidParameters(_) => StatusCode::BAD_REQUEST,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServerError(status) => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::AuthenticationFailed => ErrorBody {
                code: 2,
                message: "Authentication failed.",
                status: Some("failure"),
                message_detail: None,
            },
            Self::MissingScope => ErrorBody {
                code: 3,
                message: "Your token does not have sufficient permissions to perform this operation. Please ensure your token is authorized with the correct set of scopes.",
                status: None,
                message_detail: None,
            },
            Self::Forbidden => ErrorBody {
                code: 29,
                message: "You are not permitted to access that resource.",
                status: None,
                message_detail: None,
            },
            Self::NotFound(message) => ErrorBody {
                code: 404,
                message,
                status: None,
                message_detail: None,
            },
            Self::InvalidParameters(detail) => ErrorBody {
                code: 1,
                message: "Invalid parameters.",
                status: None,
                message_detail: Some(detail),
            },
            Self::RateLimited { spam } => ErrorBody {
                code: 8,
                message: RATE_LIMIT_MESSAGE,
                status: None,
                message_detail: spam.then_some(
                    "Request blocked by spam protection: too many write operations on one object in a short time window.",
                ),
            },
            Self::ServerError(503) => ErrorBody {
                code: 4197,
                message: "The endpoint has been ramped down and is currently not accepting any traffic.",
                status: None,
                message_detail: None,
            },
            Self::ServerError(_) => ErrorBody {
                code: 500,
                message: "Internal server error.",
                status: None,
                message_detail: None,
            },
        };
        (status, Json(body)).into_response()
    }
}
