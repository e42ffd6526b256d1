//! `/api/v1/partners/pinterest`: connecting Pinterest (OAuth), ad accounts, audiences.

use axum::Router;

use crate::app::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
