//! The OAuth consent page at `/oauth/`: a server-rendered HTML form showing the app, the
//! requested scopes and a choice of sandbox user, whose Allow / Deny redirects back to the app.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use url::Url;

use crate::config::AppConfig;
use crate::extract::params;
use crate::state::SandboxState;
use crate::tokens::AuthCode;

/// Scopes Pinterest defines, with the wording shown to the user.
const SCOPES: [(&str, &str); 8] = [
    (
        "ads:read",
        "See your advertising data, including ads, ad groups, campaigns and audiences",
    ),
    (
        "ads:write",
        "Create, update or delete ads, ad groups, campaigns and audiences",
    ),
    ("user_accounts:read", "See your user account and followers"),
    ("user_accounts:write", "Update your user account"),
    ("boards:read", "See your public boards"),
    ("pins:read", "See your public Pins"),
    ("catalogs:read", "See your catalogs"),
    ("biz_access:read", "See your business access"),
];

/// A validated authorization request.
struct AuthorizeRequest {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
}

/// Whether `redirect_uri` is registered on the app (or, with `allow_any_loopback_redirect`,
/// is a loopback URI with a registered path).
pub(crate) fn redirect_uri_allowed(app: &AppConfig, redirect_uri: &str) -> bool {
    if app.redirect_uris.iter().any(|r| r == redirect_uri) {
        return true;
    }
    if !app.allow_any_loopback_redirect {
        return false;
    }
    let Ok(url) = Url::parse(redirect_uri) else {
        return false;
    };
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
    loopback
        && url.scheme() == "http"
        && app
            .redirect_uris
            .iter()
            .filter_map(|r| Url::parse(r).ok())
            .any(|registered| registered.path() == url.path())
}

fn validate(
    state: &SandboxState,
    params: &HashMap<String, String>,
) -> Result<AuthorizeRequest, String> {
    let app = &state.config.app;
    let client_id = params
        .get("client_id")
        .or_else(|| params.get("consumer_id"))
        .ok_or("client_id is missing")?;
    if *client_id != app.client_id {
        return Err("unknown client_id".into());
    }
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or("redirect_uri is missing")?;
    if !redirect_uri_allowed(app, redirect_uri) {
        return Err("redirect_uri does not match a redirect URI registered for this app".into());
    }
    if params.get("response_type").map(String::as_str) != Some("code") {
        return Err("response_type must be code".into());
    }
    let scopes: Vec<String> = params
        .get("scope")
        .map(|s| {
            s.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if scopes.is_empty() {
        return Err("scope is missing".into());
    }
    if let Some(unknown) = scopes.iter().find(|s| !SCOPES.iter().any(|(k, _)| k == s)) {
        return Err(format!("unknown scope {unknown}"));
    }
    Ok(AuthorizeRequest {
        client_id: client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scopes,
        state: params.get("state").cloned(),
    })
}

/// `GET /oauth/`: the consent page.
pub(crate) async fn page(
    State(state): State<Arc<SandboxState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query.as_deref());
    match validate(&state, &params) {
        Ok(request) => Html(render_page(&state, &request)).into_response(),
        Err(reason) => error_page(&reason),
    }
}

/// `POST /oauth/`: the form's Allow or Deny.
pub(crate) async fn decide(State(state): State<Arc<SandboxState>>, body: Bytes) -> Response {
    let form = params(std::str::from_utf8(&body).ok());
    let request = match validate(&state, &form) {
        Ok(request) => request,
        Err(reason) => return error_page(&reason),
    };
    let Ok(mut target) = Url::parse(&request.redirect_uri) else {
        return error_page("redirect_uri is not a URL");
    };
    let allowed = form.get("decision").map(String::as_str) == Some("allow");
    if !allowed {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied");
    } else {
        let Some(user) = form.get("user_id").and_then(|u| state.user(u)) else {
            return error_page("choose a sandbox user");
        };
        let code = state.tokens.issue_code(AuthCode {
            client_id: request.client_id,
            user_id: user.id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes,
            expires_at: state.clock.now()
                + Duration::from_secs(state.config.tokens.auth_code_ttl_secs),
        });
        target.query_pairs_mut().append_pair("code", &code);
    }
    if let Some(csrf) = &request.state {
        target.query_pairs_mut().append_pair("state", csrf);
    }
    Redirect::to(target.as_str()).into_response()
}

fn error_page(reason: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Pinterest sandbox: authorization error</title></head>\
         <body><h1>Authorization error</h1><p>{}</p></body></html>",
        escape(reason)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

fn render_page(state: &SandboxState, request: &AuthorizeRequest) -> String {
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        )
    };
    let mut fields = hidden("client_id", &request.client_id)
        + &hidden("redirect_uri", &request.redirect_uri)
        + &hidden("response_type", "code")
        + &hidden("scope", &request.scopes.join(","));
    if let Some(csrf) = &request.state {
        fields += &hidden("state", csrf);
    }
    let scopes: String = request
        .scopes
        .iter()
        .map(|scope| {
            let text = SCOPES
                .iter()
                .find(|(k, _)| k == scope)
                .map_or("", |(_, text)| text);
            format!("<li><code>{}</code>: {}</li>", escape(scope), escape(text))
        })
        .collect();
    let users: String = state
        .config
        .users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            format!(
                "<label><input type=\"radio\" name=\"user_id\" value=\"{}\"{}> {} ({})</label><br>",
                escape(&user.id),
                if i == 0 { " checked" } else { "" },
                escape(&user.username),
                escape(user.business_name.as_deref().unwrap_or(&user.account_type)),
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Pinterest sandbox: authorize {app}</title>\
         <style>body{{font-family:sans-serif;max-width:36em;margin:3em auto}}button{{margin-right:1em}}</style></head>\
         <body><h1>Pinterest sandbox</h1>\
         <p><strong>{app}</strong> would like to:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"./\">{fields}\
         <fieldset><legend>Sign in as</legend>{users}</fieldset>\
         <p><button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></p>\
         </form><p><small>Redirects to {redirect}</small></p></body></html>",
        app = escape(&state.config.app.name),
        redirect = escape(&request.redirect_uri),
    )
}

/// Escapes text for HTML element content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
