//! The dashboard's own stylesheet and script, compiled into the binary (no CDN, no fonts
//! from elsewhere: the dashboard works with no internet).

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::app::AppState;

const STYLESHEET: &str = include_str!("../../static/pinsync.css");
const SCRIPT: &str = include_str!("../../static/pinsync.js");

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/static/pinsync.css", get(stylesheet))
        .route("/static/pinsync.js", get(script))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        STYLESHEET,
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        SCRIPT,
    )
}
