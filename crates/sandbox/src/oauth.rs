//! The OAuth token endpoints: `POST /v5/oauth/token` (authorization_code, refresh_token) and
//! `POST /v5/oauth/token/revoke`, both with HTTP Basic client authentication and form bodies.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::params;
use crate::state::SandboxState;
use crate::tokens::{ExchangeError, TokenGrant};

/// Checks `Authorization: Basic base64(client_id:client_secret)` (401 code 2 otherwise).
fn authenticate_client(state: &SandboxState, headers: &HeaderMap) -> Result<String, ApiError> {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .ok_or(ApiError::AuthenticationFailed)?;
    let (client_id, secret) = credentials
        .split_once(':')
        .ok_or(ApiError::AuthenticationFailed)?;
    let app = &state.config.app;
    if client_id != app.client_id || secret != app.client_secret {
        return Err(ApiError::AuthenticationFailed);
    }
    Ok(client_id.to_owned())
}

fn form(body: &Bytes) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::InvalidParameters("form body must be UTF-8".into()))?;
    Ok(params(Some(text)))
}

pub(crate) async fn token(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let client_id = authenticate_client(&state, &headers)?;
    let form = form(&body)?;
    let field = |name: &str| {
        form.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::InvalidParameters(format!("{name} is required")))
    };
    let now = state.clock.now();
    let tokens = &state.config.tokens;
    let (grant, response_type) = match field("grant_type")?.as_str() {
        "authorization_code" => {
            let grant = state
                .tokens
                .exchange_code(
                    field("code")?,
                    &client_id,
                    field("redirect_uri")?,
                    tokens,
                    now,
                )
                .map_err(exchange_error)?;
            (grant, "authorization_code")
        }
        "refresh_token" => {
            let grant = state
                .tokens
                .refresh(field("refresh_token")?, &client_id, tokens, now)
                .map_err(exchange_error)?;
            (grant, "refresh_token")
        }
        other => {
            return Err(ApiError::InvalidParameters(format!(
                "unsupported grant_type {other:?}"
            )));
        }
    };
    Ok(Json(token_response(&grant, response_type)))
}

fn exchange_error(error: ExchangeError) -> ApiError {
    match error {
        ExchangeError::InvalidCode => ApiError::InvalidParameters(error.to_string()),
        ExchangeError::InvalidRefreshToken => ApiError::AuthenticationFailed,
    }
}

fn token_response(grant: &TokenGrant, response_type: &str) -> Value {
    json!({
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "response_type": response_type,
        "token_type": "bearer",
        "expires_in": grant.expires_in,
        "refresh_token_expires_in": grant.refresh_token_expires_in,
        "refresh_token_expires_at": grant.refresh_token_expires_at,
        "scope": grant.scopes.join(","),
    })
}

pub(crate) async fn revoke(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    authenticate_client(&state, &headers)?;
    let form = form(&body)?;
    let token = form
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::InvalidParameters("token is required".into()))?;
    // Like RFC 7009, an unknown token is not an error.
    state.tokens.revoke(token);
    Ok(StatusCode::OK)
}
