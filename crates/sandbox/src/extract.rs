//! What every `/v5` handler does first: check the bearer token and its scope, and parse the
//! JSON body and query string into Pinterest-shaped 400s instead of axum's plain-text ones.

use std::collections::HashMap;

use axum::http::HeaderMap;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::SandboxState;
use crate::tokens::{Caller, bearer_token};

pub(crate) const ADS_READ: &str = "ads:read";
pub(crate) const ADS_WRITE: &str = "ads:write";
pub(crate) const USER_ACCOUNTS_READ: &str = "user_accounts:read";

/// Authenticates the bearer token (401 code 2) and checks it carries `scope` (401 code 3).
pub(crate) fn authorize(
    state: &SandboxState,
    headers: &HeaderMap,
    scope: &str,
) -> Result<Caller, ApiError> {
    let token = bearer_token(headers).ok_or(ApiError::AuthenticationFailed)?;
    let caller = state.tokens.authenticate(token, state.clock.now())?;
    if !caller.scopes.iter().any(|s| s == scope) {
        return Err(ApiError::MissingScope);
    }
    Ok(caller)
}

/// Parses a JSON request body (string fields may borrow from it).
pub(crate) fn json_body<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::InvalidParameters(format!("invalid JSON body: {e}")))
}

/// Parses a query string (or form body) into its last value per name.
pub(crate) fn params(raw: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Parses a numeric id from a path; anything else cannot name an object.
pub(crate) fn numeric_id(raw: &str, what: &'static str) -> Result<u64, ApiError> {
    if raw.is_empty() || raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::InvalidParameters(format!(
            "{what} must be numeric"
        )));
    }
    raw.parse()
        .map_err(|_| ApiError::InvalidParameters(format!("{what} must be numeric")))
}

/// Checks an ad account id from a path is a numeric string (400 code 1 otherwise).
pub(crate) fn ad_account_id(raw: &str) -> Result<&str, ApiError> {
    numeric_id(raw, "ad_account_id")?;
    Ok(raw)
}
