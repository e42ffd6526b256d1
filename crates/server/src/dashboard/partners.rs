//! Partner Integrations → Technology Partners → Pinterest: connect (OAuth through the
//! connection service), choose the ad accounts to sync, see status, role and token expiry,
//! disconnect; and the audience search the step editor's combobox calls.

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use pinsync_connect::{AudiencePage, CallbackParams, ConnectionService};
use serde::Deserialize;

use super::chrome::Chrome;
use super::error::DashboardError;
use super::session::{CsrfForm, SignedIn};
use crate::app::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/partners", get(partners))
        .route("/partners/pinterest", get(pinterest_page))
        .route("/partners/pinterest/connect", post(connect))
        .route("/partners/pinterest/callback", get(callback))
        .route("/partners/pinterest/ad_accounts", post(choose_ad_accounts))
        .route("/partners/pinterest/disconnect", post(disconnect))
        .route(
            "/partners/pinterest/ad_accounts/{ad_account_id}/audiences",
            get(search_audiences),
        )
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    chrome: Chrome,
    pinterest_status: String,
}

fn service(state: &AppState) -> Result<&std::sync::Arc<ConnectionService>, DashboardError> {
    state.pinterest.as_ref().ok_or_else(|| {
        DashboardError::BadRequest("This pinsync runs without a Pinterest integration.".into())
    })
}

async fn partners(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Html<String>, DashboardError> {
    let chrome = Chrome::build(&state, &signed_in, "partners").await?;
    let pinterest_status = match &state.pinterest {
        Some(pinterest) => match pinterest.view(signed_in.workspace()).await {
            Ok(view) => view.status.as_str().replace('_', " "),
            Err(_) => "unknown".into(),
        },
        None => "not configured".into(),
    };
    Ok(Html(
        PartnersPage {
            chrome,
            pinterest_status,
        }
        .render()?,
    ))
}

struct AccountRow {
    id: String,
    name: String,
    roles: String,
    selected: bool,
    status: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "pinterest.html")]
struct PinterestPage {
    chrome: Chrome,
    configured: bool,
    status: &'static str,
    message: String,
    notice: String,
    pinterest_user: String,
    token_expires: String,
    refresh_expires: String,
    scopes: String,
    accounts: Vec<AccountRow>,
}

#[derive(Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

/// A millisecond timestamp as `YYYY-MM-DD HH:MM UTC`.
pub(super) fn utc(millis: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

async fn pinterest_page(
    State(state): State<AppState>,
    Query(query): Query<NoticeQuery>,
    signed_in: SignedIn,
) -> Result<Html<String>, DashboardError> {
    let chrome = Chrome::build(&state, &signed_in, "partners").await?;
    let notice = match query.notice.as_str() {
        "connected" => "Pinterest is connected. Choose the ad accounts to sync below.",
        "accounts_saved" => "The ad accounts to sync are saved.",
        "disconnected" => "Pinterest is disconnected. Syncing is paused until you connect again.",
        _ => "",
    }
    .to_owned();
    let Some(pinterest) = &state.pinterest else {
        let page = PinterestPage {
            chrome,
            configured: false,
            status: "not_configured",
            message: "This pinsync runs without a Pinterest integration; configure one (or the sandbox) and restart.".into(),
            notice,
            pinterest_user: String::new(),
            token_expires: String::new(),
            refresh_expires: String::new(),
            scopes: String::new(),
            accounts: Vec::new(),
        };
        return Ok(Html(page.render()?));
    };
    let view = pinterest
        .view(signed_in.workspace())
        .await
        .map_err(|e| DashboardError::BadRequest(e.to_string()))?;
    let page = PinterestPage {
        chrome,
        configured: true,
        status: view.status.as_str(),
        message: view.message.to_owned(),
        notice,
        pinterest_user: view.pinterest_user.map(|u| u.username).unwrap_or_default(),
        token_expires: view.token_expires_at.map(utc).unwrap_or_default(),
        refresh_expires: view.refresh_token_expires_at.map(utc).unwrap_or_default(),
        scopes: view.scopes.join(", "),
        accounts: view
            .ad_accounts
            .into_iter()
            .map(|a| AccountRow {
                roles: a.roles.join(", "),
                message: a.message.unwrap_or_default().to_owned(),
                id: a.id,
                name: a.name,
                selected: a.selected,
                status: a.status,
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct NoFields {}

/// Sends the browser to Pinterest's consent page (the sandbox's in sandbox mode).
async fn connect(
    State(state): State<AppState>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Redirect, DashboardError> {
    let url = service(&state)?
        .begin_connect(signed_in.workspace())
        .await
        .map_err(|e| {
            DashboardError::BadRequest(format!("Pinterest could not be connected: {e}"))
        })?;
    Ok(Redirect::to(&url))
}

/// Where Pinterest sends the browser back. Like the API's callback it needs no session: the
/// single-use `state` ties it to the workspace that started the connection.
async fn callback(
    State(state): State<AppState>,
    Query(params): Query<CallbackParams>,
) -> Result<Redirect, DashboardError> {
    service(&state)?
        .complete_callback(params)
        .await
        .map_err(|e| DashboardError::BadRequest(format!("Pinterest was not connected: {e}")))?;
    Ok(Redirect::to("/partners/pinterest?notice=connected"))
}

async fn choose_ad_accounts(
    State(state): State<AppState>,
    CsrfForm { signed_in, form }: CsrfForm<Vec<(String, String)>>,
) -> Result<Redirect, DashboardError> {
    let chosen: Vec<String> = form
        .into_iter()
        .filter(|(key, _)| key == "ad_account")
        .map(|(_, id)| id)
        .collect();
    service(&state)?
        .select_ad_accounts(signed_in.workspace(), chosen)
        .await
        .map_err(|e| DashboardError::BadRequest(format!("The ad accounts were not saved: {e}")))?;
    Ok(Redirect::to("/partners/pinterest?notice=accounts_saved"))
}

async fn disconnect(
    State(state): State<AppState>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Redirect, DashboardError> {
    service(&state)?
        .disconnect(signed_in.workspace())
        .await
        .map_err(|e| {
            DashboardError::BadRequest(format!("Pinterest could not be disconnected: {e}"))
        })?;
    Ok(Redirect::to("/partners/pinterest?notice=disconnected"))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    query: String,
}

/// The combobox's search: the same service call as the REST API's audience search, with
/// the session instead of an API key.
async fn search_audiences(
    State(state): State<AppState>,
    Path(ad_account_id): Path<String>,
    Query(query): Query<SearchQuery>,
    signed_in: SignedIn,
) -> Result<Json<AudiencePage>, DashboardError> {
    let page = service(&state)?
        .search_audiences(
            signed_in.workspace(),
            &ad_account_id,
            &query.query,
            None,
            10,
        )
        .await
        .map_err(|e| DashboardError::BadRequest(e.to_string()))?;
    Ok(Json(page))
}
