//! Signing in and out, the one-time set-up page that creates the first user, and the
//! workspace switcher.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pinsync_store::{DEFAULT_WORKSPACE, StoreError, WorkspaceId};
use serde::Deserialize;

use super::error::DashboardError;
use super::passwords::{self, token_hash};
use super::session::{
    self, CsrfForm, LOGIN_CSRF_COOKIE, LoginForm, SESSION_COOKIE, SignedIn, came_over_tls,
    cookie_header,
};
use crate::app::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/setup/{token}", get(setup_page).post(setup))
        .route("/workspace", post(switch_workspace))
}

async fn home(signed_in: Result<SignedIn, DashboardError>) -> Redirect {
    match signed_in {
        Ok(_) => Redirect::to("/canvases"),
        Err(_) => Redirect::to("/sign-in"),
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    csrf: String,
    then: String,
    login: String,
    error: Option<String>,
    sandbox: bool,
}

#[derive(Deserialize)]
struct ThenQuery {
    #[serde(default)]
    then: String,
}

/// Only same-site paths are followed after sign-in (no open redirect).
fn safe_then(then: &str) -> &str {
    let local = then.starts_with('/') && !then.starts_with("//") && !then.contains('\\');
    if local { then } else { "/canvases" }
}

fn sandbox(state: &AppState) -> bool {
    state.pinterest.as_ref().is_some_and(|p| p.is_sandbox())
}

fn sign_in_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    then: &str,
    login: &str,
    error: Option<String>,
) -> Result<Response, DashboardError> {
    let (csrf, cookie) = session::login_csrf(came_over_tls(headers));
    let page = SignInPage {
        csrf,
        then: safe_then(then).to_owned(),
        login: login.to_owned(),
        error,
        sandbox: sandbox(state),
    };
    Ok((status, cookie, Html(page.render()?)).into_response())
}

async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ThenQuery>,
) -> Result<Response, DashboardError> {
    sign_in_form(&state, &headers, StatusCode::OK, &query.then, "", None)
}

#[derive(Deserialize)]
struct SignInFields {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    then: String,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    LoginForm { form, secure }: LoginForm<SignInFields>,
) -> Result<Response, DashboardError> {
    let login = form.login.trim();
    let user = state.store.dashboard_user_by_login(login).await?;
    let verified = match &user {
        Some(user) => passwords::verify_password(&form.password, &user.password_hash),
        None => {
            passwords::verify_against_nothing(&form.password);
            false
        }
    };
    let (Some(user), true) = (user, verified) else {
        let error = "That login and password do not match a dashboard user.".to_owned();
        return sign_in_form(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            &form.then,
            login,
            Some(error),
        );
    };
    let Some(workspace) = state
        .store
        .workspaces_of(user.id)
        .await?
        .first()
        .map(|w| w.id)
    else {
        let error = "You do not belong to any workspace yet; ask an admin to add you (pinsync admin create-user --workspace …).".to_owned();
        return sign_in_form(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            &form.then,
            login,
            Some(error),
        );
    };
    tracing::info!(user_id = user.id.0, "dashboard sign-in");
    let session_cookie = session::start_session(&state, &user, workspace, secure).await?;
    Ok(signed_in_redirect(
        session_cookie,
        safe_then(&form.then),
        secure,
    ))
}

/// 303 to `target`, setting the session cookie and clearing the sign-in CSRF cookie.
fn signed_in_redirect(session_cookie: String, target: &str, secure: bool) -> Response {
    let mut response = Redirect::to(target).into_response();
    let headers = response.headers_mut();
    for value in [
        session_cookie,
        cookie_header(LOGIN_CSRF_COOKIE, "", 0, secure),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

#[derive(Deserialize)]
struct NoFields {}

async fn sign_out(
    State(state): State<AppState>,
    CsrfForm { signed_in, .. }: CsrfForm<NoFields>,
) -> Result<Response, DashboardError> {
    state.store.delete_session(&signed_in.token_sha256).await?;
    let clear = cookie_header(SESSION_COOKIE, "", 0, signed_in.secure);
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, "/sign-in".to_owned()), (SET_COOKIE, clear)],
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf: String,
    token: String,
    login: String,
    error: Option<String>,
    sandbox: bool,
}

async fn setup_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, DashboardError> {
    let now = pinsync_store::now_millis();
    if !state
        .store
        .setup_link_is_valid(&token_hash(&token), now)
        .await?
    {
        return Err(used_link());
    }
    setup_form(&state, &headers, StatusCode::OK, token, "", None)
}

fn used_link() -> DashboardError {
    DashboardError::NotFound(
        "This set-up link is unknown, used or expired. Create users with `pinsync admin create-user`.".into(),
    )
}

fn setup_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    token: String,
    login: &str,
    error: Option<String>,
) -> Result<Response, DashboardError> {
    let (csrf, cookie) = session::login_csrf(came_over_tls(headers));
    let page = SetupPage {
        csrf,
        token,
        login: login.to_owned(),
        error,
        sandbox: sandbox(state),
    };
    Ok((status, cookie, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct SetupFields {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// Checks a login name: 1 to 64 printable characters without spaces at the ends.
pub fn validate_login(login: &str) -> Result<&str, String> {
    let login = login.trim();
    if login.is_empty() || login.chars().count() > 64 || login.chars().any(char::is_control) {
        return Err("A login needs 1 to 64 printable characters.".into());
    }
    Ok(login)
}

async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    LoginForm { form, secure }: LoginForm<SetupFields>,
) -> Result<Response, DashboardError> {
    let retry = |error: String| {
        setup_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            token.clone(),
            &form.login,
            Some(error),
        )
    };
    let login = match validate_login(&form.login) {
        Ok(login) => login,
        Err(error) => return retry(error),
    };
    if form.password != form.password_again {
        return retry("The two passwords differ.".into());
    }
    let hash = match passwords::hash_password(&form.password) {
        Ok(hash) => hash,
        Err(error) => return retry(format!("{error}.")),
    };
    let now = pinsync_store::now_millis();
    let user = match state
        .store
        .redeem_setup_link(&token_hash(&token), now, login, &hash)
        .await
    {
        Ok(Some(user)) => user,
        Ok(None) => return Err(used_link()),
        Err(StoreError::Conflict(_)) => return retry("That login is taken.".into()),
        Err(error) => return Err(error.into()),
    };
    let workspace = state.store.ensure_workspace(DEFAULT_WORKSPACE).await?;
    state
        .store
        .add_workspace_member(user.id, workspace.id)
        .await?;
    tracing::info!(
        user_id = user.id.0,
        "first dashboard user created from the set-up link"
    );
    let session_cookie = session::start_session(&state, &user, workspace.id, secure).await?;
    Ok(signed_in_redirect(session_cookie, "/canvases", secure))
}

#[derive(Deserialize)]
struct SwitchFields {
    workspace_id: i64,
}

async fn switch_workspace(
    State(state): State<AppState>,
    CsrfForm { signed_in, form }: CsrfForm<SwitchFields>,
) -> Result<Redirect, DashboardError> {
    let target = WorkspaceId(form.workspace_id);
    match state
        .store
        .switch_session_workspace(&signed_in.token_sha256, target)
        .await
    {
        Ok(()) => Ok(Redirect::to("/canvases")),
        Err(StoreError::NotFound(_)) => Err(DashboardError::NotFound(
            "You are not a member of that workspace.".into(),
        )),
        Err(error) => Err(error.into()),
    }
}
