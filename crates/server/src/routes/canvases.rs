//! `/api/v1/canvases` and `/api/v1/canvas/...`: Canvases, entry, analytics, user traces.

use axum::Router;

use crate::app::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
