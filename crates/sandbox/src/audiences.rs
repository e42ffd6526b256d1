//! Audiences of type `CUSTOMER_LIST`: create, list (paginated, `ownership_type`), get and
//! `PATCH` UPDATE / REMOVE, with `INITIALIZING` → `READY` / `TOO_SMALL` after processing.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{
    ADS_READ, ADS_WRITE, ad_account_id, authorize, json_body, numeric_id, params,
};
use crate::pagination::{Order, order, paginate};
use crate::state::SandboxState;

const AUDIENCE_TYPES: [&str; 5] = [
    "CUSTOMER_LIST",
    "VISITOR",
    "ENGAGEMENT",
    "ACTALIKE",
    "PERSONA",
];

/// One audience. Removed audiences are dropped from the map.
#[derive(Debug, Clone)]
pub(crate) struct Audience {
    pub id: u64,
    pub ad_account_id: String,
    pub name: String,
    pub description: Option<String>,
    pub customer_list_id: String,
    pub created_at: Duration,
    pub updated_timestamp: u64,
}

#[derive(Deserialize)]
struct Rule {
    customer_list_id: Option<String>,
}

#[derive(Deserialize)]
struct CreateRequest {
    name: Option<String>,
    audience_type: Option<String>,
    rule: Option<Rule>,
    description: Option<String>,
    ad_account_id: Option<String>,
}

#[derive(Deserialize)]
struct UpdateRequest {
    operation_type: Option<String>,
    name: Option<String>,
    description: Option<String>,
    rule: Option<Rule>,
    ad_account_id: Option<String>,
}

pub(crate) async fn create(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_WRITE)?;
    let account = ad_account_id(&account)?;
    state.require_account_access(&caller.user_id, account, true)?;
    let request: CreateRequest = json_body(&body)?;
    check_body_account(request.ad_account_id.as_deref(), account)?;
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::InvalidParameters("name is required".into()))?;
    match request.audience_type.as_deref() {
        Some("CUSTOMER_LIST") => {}
        Some(other) if AUDIENCE_TYPES.contains(&other) => {
            return Err(ApiError::InvalidParameters(format!(
                "audience_type {other} is not supported by the sandbox; use CUSTOMER_LIST"
            )));
        }
        _ => {
            return Err(ApiError::InvalidParameters(format!(
                "audience_type must be one of {AUDIENCE_TYPES:?}"
            )));
        }
    }
    let customer_list_id = list_in_account(&state, request.rule, account)?;
    let now = state.clock.now();
    let audience = Audience {
        id: state.new_audience_id(),
        ad_account_id: account.to_owned(),
        name,
        description: request.description,
        customer_list_id,
        created_at: now,
        updated_timestamp: now.as_secs(),
    };
    let rendered = render(&state, &audience);
    state.audiences.lock().insert(audience.id, audience);
    Ok(Json(rendered))
}

pub(crate) async fn list(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_READ)?;
    let account = ad_account_id(&account)?;
    state.require_account_access(&caller.user_id, account, false)?;
    let params = params(query.as_deref());
    let order = order(&params)?;
    let owned = match params.get("ownership_type").map(String::as_str) {
        None | Some("OWNED") => true,
        Some("RECEIVED") => false,
        Some(_) => {
            return Err(ApiError::InvalidParameters(
                "ownership_type must be OWNED or RECEIVED".into(),
            ));
        }
    };
    let audiences: Vec<Audience> = if owned {
        state
            .audiences
            .lock()
            .values()
            .filter(|a| a.ad_account_id == account)
            .cloned()
            .collect()
    } else {
        // Nobody shares audiences in the sandbox.
        Vec::new()
    };
    let mut items: Vec<(u64, Value)> = audiences
        .iter()
        .map(|a| (a.id, render(&state, a)))
        .collect();
    if order == Order::Descending {
        items.reverse();
    }
    let page = paginate(items, order, &params)?;
    Ok(Json(
        json!({ "items": page.items, "bookmark": page.bookmark }),
    ))
}

pub(crate) async fn get(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path((account, audience_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_READ)?;
    let account = ad_account_id(&account)?;
    state.require_account_access(&caller.user_id, account, false)?;
    let audience = find(&state, account, &audience_id)?;
    Ok(Json(render(&state, &audience)))
}

pub(crate) async fn update(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path((account, audience_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_WRITE)?;
    let account = ad_account_id(&account)?;
    state.require_account_access(&caller.user_id, account, true)?;
    let mut audience = find(&state, account, &audience_id)?;
    let request: UpdateRequest = json_body(&body)?;
    check_body_account(request.ad_account_id.as_deref(), account)?;
    match request.operation_type.as_deref() {
        None | Some("UPDATE") => {}
        Some("REMOVE") => {
            state.audiences.lock().remove(&audience.id);
            return Ok(Json(render(&state, &audience)));
        }
        Some(_) => {
            return Err(ApiError::InvalidParameters(
                "operation_type must be UPDATE or REMOVE".into(),
            ));
        }
    }
    if let Some(name) = request.name {
        if name.trim().is_empty() {
            return Err(ApiError::InvalidParameters("name must not be empty".into()));
        }
        audience.name = name;
    }
    if let Some(description) = request.description {
        audience.description = Some(description);
    }
    if request.rule.is_some() {
        audience.customer_list_id = list_in_account(&state, request.rule, account)?;
    }
    audience.updated_timestamp = state.clock.now_secs();
    let rendered = render(&state, &audience);
    let mut audiences = state.audiences.lock();
    // A concurrent REMOVE wins: do not resurrect the audience.
    if let Some(stored) = audiences.get_mut(&audience.id) {
        *stored = audience;
    } else {
        return Err(ApiError::NotFound("Audience not found."));
    }
    Ok(Json(rendered))
}

fn check_body_account(body_account: Option<&str>, path_account: &str) -> Result<(), ApiError> {
    match body_account {
        Some(id) if id != path_account => Err(ApiError::InvalidParameters(
            "ad_account_id in the body must match the path".into(),
        )),
        _ => Ok(()),
    }
}

/// Checks `rule.customer_list_id` names a live list of the same ad account.
fn list_in_account(
    state: &SandboxState,
    rule: Option<Rule>,
    account: &str,
) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::InvalidParameters(
            "rule.customer_list_id must name a customer list of this ad account".into(),
        )
    };
    let id = rule.and_then(|r| r.customer_list_id).ok_or_else(invalid)?;
    let numeric = numeric_id(&id, "rule.customer_list_id").map_err(|_| invalid())?;
    let list = state.customer_list(numeric).ok_or_else(invalid)?;
    if list.lock().ad_account_id != account {
        return Err(invalid());
    }
    Ok(id)
}

fn find(state: &SandboxState, account: &str, audience_id: &str) -> Result<Audience, ApiError> {
    let not_found = ApiError::NotFound("Audience not found.");
    let id = numeric_id(audience_id, "audience_id").map_err(|_| not_found.clone())?;
    state
        .audiences
        .lock()
        .get(&id)
        .filter(|a| a.ad_account_id == account)
        .cloned()
        .ok_or(not_found)
}

/// The `Audience` object, with status and size derived from the list's matched members.
fn render(state: &SandboxState, audience: &Audience) -> Value {
    let (status, size) = if !state.processing_done(audience.created_at) {
        ("INITIALIZING", 0)
    } else {
        let matched = audience
            .customer_list_id
            .parse()
            .ok()
            .and_then(|id| state.customer_list(id))
            .map_or(0, |list| list.lock().matched);
        if matched >= state.config.matching.min_audience_size {
            ("READY", matched)
        } else {
            ("TOO_SMALL", 0)
        }
    };
    json!({
        "type": "audience",
        "id": audience.id.to_string(),
        "name": audience.name,
        "ad_account_id": audience.ad_account_id,
        "audience_type": "CUSTOMER_LIST",
        "description": audience.description,
        "status": status,
        "size": size,
        "created_timestamp": audience.created_at.as_secs(),
        "updated_timestamp": audience.updated_timestamp,
        "rule": { "customer_list_id": audience.customer_list_id },
        "created_by_company_name": null,
        "is_nca": false,
    })
}
