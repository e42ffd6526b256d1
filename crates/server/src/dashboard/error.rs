//! [`DashboardError`]: what a dashboard page answers when it cannot do its job — a redirect
//! to sign-in, or an HTML error page that says what happened, never internals.

use askama::Template;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};
use pinsync_engine::EngineError;
use pinsync_store::StoreError;

/// Why a dashboard request failed.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// No live session: the browser is sent to the sign-in page.
    #[error("not signed in")]
    NotSignedIn { then: String },
    /// A form arrived without the session's CSRF token.
    #[error("the form's security token is missing or out of date")]
    CsrfMismatch,
    /// The thing asked for does not exist in the signed-in workspace.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be honoured as sent (shown to the user as is).
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the page could not be rendered: {0}")]
    Render(#[from] askama::Error),
}

impl From<EngineError> for DashboardError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::CanvasNotFound(id) => {
                DashboardError::NotFound(format!("There is no Canvas {id} in this workspace."))
            }
            EngineError::Store(store) => DashboardError::Store(store),
            other => DashboardError::BadRequest(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            DashboardError::NotSignedIn { then } => {
                let target = format!("/sign-in?then={}", urlencode(then));
                return (StatusCode::SEE_OTHER, [(LOCATION, target)]).into_response();
            }
            DashboardError::CsrfMismatch => (
                StatusCode::FORBIDDEN,
                "Form refused",
                "This form's security token is missing or out of date. Go back, reload the page and submit it again.".to_owned(),
            ),
            DashboardError::NotFound(message) => {
                (StatusCode::NOT_FOUND, "Not found", message.clone())
            }
            DashboardError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, "Cannot do that", message.clone())
            }
            DashboardError::Store(_) | DashboardError::Render(_) => {
                tracing::error!(error = %self, "dashboard request failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Something went wrong",
                    "pinsync could not complete the request; the error was logged.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message: &message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}

/// Percent-encodes a path for use as a query value.
pub(crate) fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)])
        .map(|encoded| encoded.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}
