//! Sessions and CSRF: the `pinsync_session` cookie (HttpOnly, SameSite=Lax, Secure behind
//! TLS), the [`SignedIn`] extractor every page takes, and [`CsrfForm`], the only way a
//! dashboard handler reads a POSTed form — it refuses the form unless it carries the
//! session's CSRF token.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::response::{AppendHeaders, IntoResponse, Response};
use pinsync_store::{DashboardUser, NewSession, Session, Workspace, WorkspaceId};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::DashboardError;
use super::passwords::{random_token, same_secret, token_hash};
use crate::app::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "pinsync_session";
/// The cookie that carries the pre-session CSRF token of the sign-in and set-up forms.
pub const LOGIN_CSRF_COOKIE: &str = "pinsync_login_csrf";
/// How long a session lasts, in milliseconds (12 hours).
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether the request reached pinsync over TLS (directly or through a proxy that says so).
pub fn came_over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value with the dashboard's attributes; `max_age` 0 deletes the cookie.
pub fn cookie_header(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
}

/// Starts a session for `user` in `workspace`; returns the `Set-Cookie` header value.
pub async fn start_session(
    state: &AppState,
    user: &DashboardUser,
    workspace: WorkspaceId,
    secure: bool,
) -> Result<String, DashboardError> {
    let token = random_token();
    let session = NewSession {
        token_sha256: token_hash(&token),
        user_id: user.id,
        workspace_id: workspace,
        csrf_token: random_token(),
        expires_at: pinsync_store::now_millis() + SESSION_TTL_MS,
    };
    state.store.insert_session(session).await?;
    Ok(cookie_header(
        SESSION_COOKIE,
        &token,
        SESSION_TTL_MS / 1000,
        secure,
    ))
}

/// A signed-in person: their session, the workspace they are looking at, and the workspaces
/// they may switch to. Pages that need no sign-in do not take it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub token_sha256: String,
    pub workspaces: Vec<Workspace>,
    /// Whether the request came over TLS (cookies set in answer carry `Secure`).
    pub secure: bool,
}

impl SignedIn {
    /// The workspace the session is looking at.
    pub fn workspace(&self) -> WorkspaceId {
        self.session.workspace_id
    }

    async fn from_headers(
        headers: &HeaderMap,
        then: String,
        state: &AppState,
    ) -> Result<Self, DashboardError> {
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Err(DashboardError::NotSignedIn { then });
        };
        let token_sha256 = token_hash(token);
        let now = pinsync_store::now_millis();
        let Some(session) = state.store.live_session(&token_sha256, now).await? else {
            return Err(DashboardError::NotSignedIn { then });
        };
        let workspaces = state.store.workspaces_of(session.user_id).await?;
        if !workspaces.iter().any(|w| w.id == session.workspace_id) {
            // Membership was withdrawn since sign-in: the session no longer sees anything.
            state.store.delete_session(&token_sha256).await?;
            return Err(DashboardError::NotSignedIn { then });
        }
        Ok(SignedIn {
            session,
            token_sha256,
            workspaces,
            secure: came_over_tls(headers),
        })
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = DashboardError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let then = if parts.method == axum::http::Method::GET {
            parts.uri.path().to_owned()
        } else {
            "/".to_owned()
        };
        SignedIn::from_headers(&parts.headers, then, state).await
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A POSTed form of a signed-in user whose `csrf` field matched the session's token.
pub struct CsrfForm<T> {
    pub signed_in: SignedIn,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = DashboardError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let bytes = read_form_body(Request::from_parts(parts, body), state).await?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        if !same_secret(&field.csrf, &signed_in.session.csrf_token) {
            return Err(DashboardError::CsrfMismatch);
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| DashboardError::BadRequest(format!("The form could not be read: {e}.")))?;
        Ok(CsrfForm { signed_in, form })
    }
}

/// A form posted before sign-in (sign-in, set-up) whose `csrf` field matched the
/// [`LOGIN_CSRF_COOKIE`] the form's page set (double-submit).
pub struct LoginForm<T> {
    pub form: T,
    pub secure: bool,
}

impl<T: DeserializeOwned> FromRequest<AppState> for LoginForm<T> {
    type Rejection = DashboardError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = cookie(req.headers(), LOGIN_CSRF_COOKIE).map(str::to_owned);
        let secure = came_over_tls(req.headers());
        let bytes = read_form_body(req, state).await?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        let Some(expected) = expected.filter(|token| !token.is_empty()) else {
            return Err(DashboardError::CsrfMismatch);
        };
        if !same_secret(&field.csrf, &expected) {
            return Err(DashboardError::CsrfMismatch);
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| DashboardError::BadRequest(format!("The form could not be read: {e}.")))?;
        Ok(LoginForm { form, secure })
    }
}

async fn read_form_body(
    req: Request,
    state: &AppState,
) -> Result<axum::body::Bytes, DashboardError> {
    crate::extract::read_body(req, state)
        .await
        .map_err(|e| DashboardError::BadRequest(e.message))
}

/// A fresh pre-session CSRF token and the cookie that carries it.
pub fn login_csrf(secure: bool) -> (String, AppendHeaders<[(axum::http::HeaderName, String); 1]>) {
    let token = random_token();
    let header = cookie_header(LOGIN_CSRF_COOKIE, &token, 60 * 60, secure);
    (token, AppendHeaders([(SET_COOKIE, header)]))
}

/// Answers `response` with an extra `Set-Cookie`.
pub fn with_cookie(set_cookie: String, response: impl IntoResponse) -> Response {
    (AppendHeaders([(SET_COOKIE, set_cookie)]), response).into_response()
}
