//! OAuth artefacts: authorization codes, access tokens and rotating refresh tokens, with
//! their lifetimes, revocation and the bearer check every `/v5` call goes through.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::Mutex;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::TokenConfig;
use crate::error::ApiError;

/// Tokens handed to a client, as `/v5/oauth/token` and `POST /_sandbox/tokens` answer them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
    pub refresh_token: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
    pub refresh_token_expires_in: u64,
    /// Unix seconds.
    pub refresh_token_expires_at: u64,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

/// Who is calling, once a bearer token has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
struct TokenRecord {
    caller: Caller,
    grant_id: u64,
    expires_at: Duration,
}

/// A pending authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub expires_at: Duration,
}

#[derive(Debug, Default)]
struct TokenStoreInner {
    access: HashMap<String, TokenRecord>,
    refresh: HashMap<String, TokenRecord>,
    codes: HashMap<String, AuthCode>,
    next_grant_id: u64,
}

/// Why a code or refresh token could not be exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    #[error("unknown, used or expired authorization code, or redirect_uri mismatch")]
    InvalidCode,
    #[error("unknown, expired or revoked refresh token")]
    InvalidRefreshToken,
}

/// All OAuth artefacts.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    inner: Mutex<TokenStoreInner>,
}

fn random_token(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::rng().random();
    format!("{prefix}{}", hex::encode(bytes))
}

impl TokenStore {
    /// Issues a new grant (access + refresh token) for a user.
    pub fn issue(&self, caller: Caller, config: &TokenConfig, now: Duration) -> TokenGrant {
        let mut inner = self.inner.lock();
        inner.next_grant_id += 1;
        let grant_id = inner.next_grant_id;
        issue_locked(&mut inner, caller, grant_id, config, now)
    }

    /// Stores a single-use authorization code and returns it.
    pub fn issue_code(&self, code: AuthCode) -> String {
        let value = random_token("");
        self.inner.lock().codes.insert(value.clone(), code);
        value
    }

    /// Exchanges a code (removing it whatever the outcome, so it is single-use).
    pub fn exchange_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        config: &TokenConfig,
        now: Duration,
    ) -> Result<TokenGrant, ExchangeError> {
        let mut inner = self.inner.lock();
        let pending = inner.codes.remove(code).ok_or(ExchangeError::InvalidCode)?;
        if pending.expires_at <= now
            || pending.client_id != client_id
            || pending.redirect_uri != redirect_uri
        {
            return Err(ExchangeError::InvalidCode);
        }
        inner.next_grant_id += 1;
        let grant_id = inner.next_grant_id;
        let caller = Caller {
            user_id: pending.user_id,
            client_id: pending.client_id,
            scopes: pending.scopes,
        };
        Ok(issue_locked(&mut inner, caller, grant_id, config, now))
    }

    /// Rotates a refresh token: the old one stops working, a new access and refresh token are
    /// issued in the same grant. Earlier access tokens stay valid until they expire.
    pub fn refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
        config: &TokenConfig,
        now: Duration,
    ) -> Result<TokenGrant, ExchangeError> {
        let mut inner = self.inner.lock();
        let record = inner
            .refresh
            .get(refresh_token)
            .filter(|r| r.expires_at > now && r.caller.client_id == client_id)
            .cloned()
            .ok_or(ExchangeError::InvalidRefreshToken)?;
        inner.refresh.remove(refresh_token);
        Ok(issue_locked(
            &mut inner,
            record.caller,
            record.grant_id,
            config,
            now,
        ))
    }

    /// Revokes an access or refresh token. Revoking a refresh token also revokes every access
    /// token of its grant. Returns whether the token was known.
    pub fn revoke(&self, token: &str) -> bool {
        let mut inner = self.inner.lock();
        if inner.access.remove(token).is_some() {
            return true;
        }
        let Some(record) = inner.refresh.remove(token) else {
            return false;
        };
        inner.access.retain(|_, r| r.grant_id != record.grant_id);
        true
    }

    /// Makes an access or refresh token expired as of `now`. Returns whether it was known.
    pub fn expire(&self, token: &str, now: Duration) -> bool {
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        match inner
            .access
            .get_mut(token)
            .or_else(|| inner.refresh.get_mut(token))
        {
            Some(record) => {
                record.expires_at = now;
                true
            }
            None => false,
        }
    }

    /// Checks a bearer access token.
    pub fn authenticate(&self, token: &str, now: Duration) -> Result<Caller, ApiError> {
        self.inner
            .lock()
            .access
            .get(token)
            .filter(|r| r.expires_at > now)
            .map(|r| r.caller.clone())
            .ok_or(ApiError::AuthenticationFailed)
    }
}

fn issue_locked(
    inner: &mut TokenStoreInner,
    caller: Caller,
    grant_id: u64,
    config: &TokenConfig,
    now: Duration,
) -> TokenGrant {
    let access_token = random_token("pina_");
    let refresh_token = random_token("pinr_");
    let access_expires = now + Duration::from_secs(config.access_token_ttl_secs);
    let refresh_expires = now + Duration::from_secs(config.refresh_token_ttl_secs);
    let scopes = caller.scopes.clone();
    inner.access.insert(
        access_token.clone(),
        TokenRecord {
            caller: caller.clone(),
            grant_id,
            expires_at: access_expires,
        },
    );
    inner.refresh.insert(
        refresh_token.clone(),
        TokenRecord {
            caller,
            grant_id,
            expires_at: refresh_expires,
        },
    );
    TokenGrant {
        access_token,
        refresh_token,
        expires_in: config.access_token_ttl_secs,
        refresh_token_expires_in: config.refresh_token_ttl_secs,
        refresh_token_expires_at: refresh_expires.as_secs(),
        scopes,
    }
}

/// Extracts the bearer token from an `Authorization` header value.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}
