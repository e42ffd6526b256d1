//! Request building: every endpoint as (method, path, query, body, auth, rate category),
//! with path ids checked to be Pinterest's numeric strings before anything is sent.

use std::fmt;

use reqwest::Method;
use serde::Serialize;

use crate::error::PinterestError;
use crate::limiter::RateCategory;
use crate::models::{
    CreateAudience, CreateCustomerList, OwnershipType, PageRequest, UpdateAudience,
    UpdateCustomerList,
};
use crate::secret::{AccessToken, RefreshToken};

/// Longest id Pinterest issues (`^\d+$`, maxLength 18).
const MAX_ID_LEN: usize = 18;

/// Who the request authenticates as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: Bearer <user access token>`.
    UserToken,
    /// `Authorization: Basic base64(client_id:client_secret)` (token endpoints).
    AppCredentials,
}

/// A request body. Form values may be secrets, so `Debug` prints only field names.
#[derive(Clone, PartialEq)]
pub enum RequestBody {
    Empty,
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Json(_) => f.write_str("Json(..)"),
            Self::Form(fields) => {
                let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
                write!(f, "Form({names:?})")
            }
        }
    }
}

/// Everything needed to send one API call, independent of the HTTP client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    pub method: Method,
    /// Path below the API base, starting with `/`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: RequestBody,
    pub auth: AuthScheme,
    pub category: RateCategory,
}

impl ApiRequest {
    fn user(method: Method, path: String, category: RateCategory) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: RequestBody::Empty,
            auth: AuthScheme::UserToken,
            category,
        }
    }

    fn with_json(mut self, body: &impl Serialize) -> Result<Self, PinterestError> {
        let value = serde_json::to_value(body)
            .map_err(|e| PinterestError::local_invalid(format!("unencodable body: {e}")))?;
        self.body = RequestBody::Json(value);
        Ok(self)
    }

    fn with_page(mut self, page: &PageRequest) -> Self {
        if let Some(bookmark) = &page.bookmark {
            self.query.push(("bookmark", bookmark.clone()));
        }
        if let Some(size) = page.page_size {
            self.query.push(("page_size", size.to_string()));
        }
        self
    }
}

/// Checks that an id is a numeric string, so it cannot change the path.
fn checked_id<'a>(field: &str, id: &'a str) -> Result<&'a str, PinterestError> {
    let numeric =
        !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_digit());
    if numeric {
        Ok(id)
    } else {
        Err(PinterestError::local_invalid(format!(
            "{field} must be 1 to {MAX_ID_LEN} digits"
        )))
    }
}

pub fn user_account() -> ApiRequest {
    ApiRequest::user(Method::GET, "/user_account".into(), RateCategory::OrgRead)
}

pub fn list_ad_accounts(page: &PageRequest, include_shared_accounts: Option<bool>) -> ApiRequest {
    let mut request =
        ApiRequest::user(Method::GET, "/ad_accounts".into(), RateCategory::AdsRead).with_page(page);
    if let Some(include) = include_shared_accounts {
        request
            .query
            .push(("include_shared_accounts", include.to_string()));
    }
    request
}

pub fn get_ad_account(ad_account_id: &str) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    Ok(ApiRequest::user(
        Method::GET,
        format!("/ad_accounts/{ad}"),
        RateCategory::AdsRead,
    ))
}

pub fn create_customer_list(
    ad_account_id: &str,
    body: &CreateCustomerList,
) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let path = format!("/ad_accounts/{ad}/customer_lists");
    ApiRequest::user(Method::POST, path, RateCategory::AdsWrite).with_json(body)
}

pub fn get_customer_list(
    ad_account_id: &str,
    customer_list_id: &str,
) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let list = checked_id("customer_list_id", customer_list_id)?;
    let path = format!("/ad_accounts/{ad}/customer_lists/{list}");
    Ok(ApiRequest::user(Method::GET, path, RateCategory::AdsRead))
}

pub fn list_customer_lists(
    ad_account_id: &str,
    page: &PageRequest,
) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let path = format!("/ad_accounts/{ad}/customer_lists");
    Ok(ApiRequest::user(Method::GET, path, RateCategory::AdsRead).with_page(page))
}

pub fn update_customer_list(
    ad_account_id: &str,
    customer_list_id: &str,
    body: &UpdateCustomerList,
) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let list = checked_id("customer_list_id", customer_list_id)?;
    let path = format!("/ad_accounts/{ad}/customer_lists/{list}");
    ApiRequest::user(Method::PATCH, path, RateCategory::AdsWrite).with_json(body)
}

pub fn create_audience(
    ad_account_id: &str,
    body: &CreateAudience,
) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let path = format!("/ad_accounts/{ad}/audiences");
    ApiRequest::user(Method::POST, path, RateCategory::AdsWrite).with_json(body)
}

pub fn get_audience(ad_account_id: &str, audience_id: &str) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let audience = checked_id("audience_id", audience_id)?;
    let path = format!("/ad_accounts/{ad}/audiences/{audience}");
    Ok(ApiRequest::user(Method::GET, path, RateCategory::AdsRead))
}

pub fn list_audiences(
    ad_account_id: &str,
    page: &PageRequest,
    ownership_type: Option<OwnershipType>,
) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let path = format!("/ad_accounts/{ad}/audiences");
    let mut request = ApiRequest::user(Method::GET, path, RateCategory::AdsRead).with_page(page);
    if let Some(ownership) = ownership_type {
        let value = match ownership {
            OwnershipType::Owned => "OWNED",
            OwnershipType::Received => "RECEIVED",
        };
        request.query.push(("ownership_type", value.to_owned()));
    }
    Ok(request)
}

pub fn update_audience(
    ad_account_id: &str,
    audience_id: &str,
    body: &UpdateAudience,
) -> Result<ApiRequest, PinterestError> {
    let ad = checked_id("ad_account_id", ad_account_id)?;
    let audience = checked_id("audience_id", audience_id)?;
    let path = format!("/ad_accounts/{ad}/audiences/{audience}");
    ApiRequest::user(Method::PATCH, path, RateCategory::AdsWrite).with_json(body)
}

fn token_call(path: &str, category: RateCategory, form: Vec<(&'static str, String)>) -> ApiRequest {
    ApiRequest {
        method: Method::POST,
        path: path.to_owned(),
        query: Vec::new(),
        body: RequestBody::Form(form),
        auth: AuthScheme::AppCredentials,
        category,
    }
}

/// `grant_type=authorization_code`; `continuous_refresh` is for apps created before
/// 2025-09-25 that want rotating 60-day refresh tokens.
pub fn exchange_code(code: &str, redirect_uri: &str, continuous_refresh: bool) -> ApiRequest {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    if continuous_refresh {
        form.push(("continuous_refresh", "true".to_owned()));
    }
    token_call("/oauth/token", RateCategory::OrgRead, form)
}

/// `grant_type=refresh_token`.
pub fn refresh_token(refresh_token: &RefreshToken) -> ApiRequest {
    let form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token.expose().to_owned()),
    ];
    token_call("/oauth/token", RateCategory::OrgRead, form)
}

/// Which kind of token a revoke names.
#[derive(Debug, Clone)]
pub enum RevocableToken {
    Access(AccessToken),
    Refresh(RefreshToken),
}

/// `POST /oauth/token/revoke` with `token` and `token_type_hint`.
pub fn revoke_token(token: &RevocableToken) -> ApiRequest {
    let (value, hint) = match token {
        RevocableToken::Access(token) => (token.expose(), "access_token"),
        RevocableToken::Refresh(token) => (token.expose(), "refresh_token"),
    };
    let form = vec![
        ("token", value.to_owned()),
        ("token_type_hint", hint.to_owned()),
    ];
    token_call("/oauth/token/revoke", RateCategory::OrgWrite, form)
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
