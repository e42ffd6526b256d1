//! The control and inspection API under `/_sandbox/`: discover the seed, mint tokens without
//! the browser, revoke or expire them, change roles, delete lists and audiences, inject
//! faults, change limits, read true membership and request statistics.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Sandbox;
use crate::faults::FaultConfig;
use crate::rate_limit::RateLimitConfig;

/// What `GET /_sandbox/seed` answers: everything a tool needs to use the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedInfo {
    pub app: SeedApp,
    pub users: Vec<SeedUser>,
    pub ad_accounts: Vec<SeedAdAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedApp {
    pub name: String,
    pub client_id: String,
    /// The sandbox's app secret; it protects nothing real, so it is shown.
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub allow_any_loopback_redirect: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedUser {
    pub id: String,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedAdAccount {
    pub id: String,
    pub name: String,
    pub owner_user_id: String,
    /// User id → current role.
    pub roles: std::collections::BTreeMap<String, String>,
}

/// Why a control call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    #[error("unknown ad account {0:?}")]
    UnknownAdAccount(String),
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    #[error("unknown scope {0:?}")]
    UnknownScope(String),
    #[error("unknown token")]
    UnknownToken,
    #[error("not found")]
    NotFound,
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::UnknownToken | Self::NotFound => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    user_id: String,
    #[serde(default = "default_scopes")]
    scopes: Vec<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["ads:read".into(), "ads:write".into()]
}

#[derive(Deserialize)]
struct TokenRef {
    token: String,
}

#[derive(Deserialize)]
struct RoleRequest {
    role: String,
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(bytes).map_err(|e| ControlError::Invalid(e.to_string()))
}

async fn seed(State(sandbox): State<Sandbox>) -> Json<SeedInfo> {
    Json(sandbox.seed())
}

async fn issue_token(State(sandbox): State<Sandbox>, bytes: Bytes) -> Response {
    let result = body::<TokenRequest>(&bytes)
        .and_then(|request| sandbox.issue_token(&request.user_id, &request.scopes));
    match result {
        Ok(grant) => Json(grant).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn revoke_token(
    State(sandbox): State<Sandbox>,
    bytes: Bytes,
) -> Result<StatusCode, ControlError> {
    sandbox.revoke_token(&body::<TokenRef>(&bytes)?.token)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn expire_token(
    State(sandbox): State<Sandbox>,
    bytes: Bytes,
) -> Result<StatusCode, ControlError> {
    sandbox.expire_token(&body::<TokenRef>(&bytes)?.token)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_role(
    State(sandbox): State<Sandbox>,
    Path((account, user)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<StatusCode, ControlError> {
    let request: RoleRequest = body(&bytes)?;
    sandbox.set_role(&account, &user, Some(&request.role))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_role(
    State(sandbox): State<Sandbox>,
    Path((account, user)): Path<(String, String)>,
) -> Result<StatusCode, ControlError> {
    sandbox.set_role(&account, &user, None)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_customer_list(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
) -> Result<StatusCode, ControlError> {
    sandbox.delete_customer_list(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_audience(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
) -> Result<StatusCode, ControlError> {
    sandbox.delete_audience(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn members(State(sandbox): State<Sandbox>, Path(id): Path<String>) -> Response {
    match sandbox.list_members(&id) {
        Some(members) => Json(json!({
            "customer_list_id": id,
            "count": members.len(),
            "members": members,
        }))
        .into_response(),
        None => ControlError::NotFound.into_response(),
    }
}

async fn get_faults(State(sandbox): State<Sandbox>) -> Json<FaultConfig> {
    Json(sandbox.faults())
}

async fn put_faults(
    State(sandbox): State<Sandbox>,
    bytes: Bytes,
) -> Result<Json<FaultConfig>, ControlError> {
    let faults: FaultConfig = body(&bytes)?;
    sandbox.set_faults(faults)?;
    Ok(Json(sandbox.faults()))
}

async fn get_limits(State(sandbox): State<Sandbox>) -> Json<RateLimitConfig> {
    Json(sandbox.rate_limits())
}

async fn put_limits(
    State(sandbox): State<Sandbox>,
    bytes: Bytes,
) -> Result<Json<RateLimitConfig>, ControlError> {
    sandbox.set_rate_limits(body(&bytes)?);
    Ok(Json(sandbox.rate_limits()))
}

async fn stats(State(sandbox): State<Sandbox>) -> Json<crate::StatsSnapshot> {
    Json(sandbox.stats())
}

async fn reset_stats(State(sandbox): State<Sandbox>) -> StatusCode {
    sandbox.reset_stats();
    StatusCode::NO_CONTENT
}

/// The `/_sandbox/` routes.
pub(crate) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/_sandbox/seed", get(seed))
        .route("/_sandbox/tokens", post(issue_token))
        .route("/_sandbox/tokens/revoke", post(revoke_token))
        .route("/_sandbox/tokens/expire", post(expire_token))
        .route(
            "/_sandbox/ad_accounts/{ad_account_id}/roles/{user_id}",
            put(set_role).delete(remove_role),
        )
        .route(
            "/_sandbox/customer_lists/{customer_list_id}",
            delete(delete_customer_list),
        )
        .route(
            "/_sandbox/customer_lists/{customer_list_id}/members",
            get(members),
        )
        .route("/_sandbox/audiences/{audience_id}", delete(delete_audience))
        .route("/_sandbox/faults", get(get_faults).put(put_faults))
        .route("/_sandbox/limits", get(get_limits).put(put_limits))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/stats/reset", post(reset_stats))
        .with_state(sandbox)
}
