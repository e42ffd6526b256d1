//! `GET /v5/user_account`, `GET /v5/ad_accounts` (paginated) and `GET /v5/ad_accounts/{id}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{ADS_READ, USER_ACCOUNTS_READ, ad_account_id, authorize, params};
use crate::pagination::{Order, paginate};
use crate::state::{AdAccount, SandboxState};

pub(crate) async fn get_user_account(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, USER_ACCOUNTS_READ)?;
    let user = state
        .user(&caller.user_id)
        .ok_or(ApiError::AuthenticationFailed)?;
    Ok(Json(json!({
        "id": user.id,
        "username": user.username,
        "account_type": user.account_type,
        "business_name": user.business_name,
        "profile_image": "https://s.pinimg.com/images/user/default_600.png",
        "website_url": "",
        "about": "",
        "follower_count": 0,
        "following_count": 0,
        "monthly_views": -1,
        "pin_count": 0,
        "board_count": 0,
    })))
}

pub(crate) async fn list_ad_accounts(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_READ)?;
    let params = params(query.as_deref());
    let include_shared = match params.get("include_shared_accounts").map(String::as_str) {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => {
            return Err(ApiError::InvalidParameters(
                "include_shared_accounts must be true or false".into(),
            ));
        }
    };
    let items: Vec<(u64, Value)> = state
        .ad_accounts
        .read()
        .values()
        .filter(|a| a.roles.contains_key(&caller.user_id))
        .filter(|a| include_shared || a.owner_user_id == caller.user_id)
        .filter_map(|a| Some((a.id.parse().ok()?, render(&state, a, &caller.user_id))))
        .collect();
    let page = paginate(items, Order::Ascending, &params)?;
    Ok(Json(
        json!({ "items": page.items, "bookmark": page.bookmark }),
    ))
}

pub(crate) async fn get_ad_account(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_READ)?;
    let id = ad_account_id(&id)?;
    state.require_account_access(&caller.user_id, id, false)?;
    let accounts = state.ad_accounts.read();
    let account = accounts.get(id).ok_or(ApiError::Forbidden)?;
    Ok(Json(render(&state, account, &caller.user_id)))
}

/// The `AdAccount` object as seen by `user_id` (its `permissions` are that user's role).
fn render(state: &SandboxState, account: &AdAccount, user_id: &str) -> Value {
    let owner_username = state
        .user(&account.owner_user_id)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let permissions: Vec<&String> = account.roles.get(user_id).into_iter().collect();
    json!({
        "id": account.id,
        "name": account.name,
        "owner": { "id": account.owner_user_id, "username": owner_username },
        "country": account.country,
        "currency": account.currency,
        "permissions": permissions,
        "created_time": account.created_time,
        "updated_time": account.created_time,
        "time_zone": account.time_zone,
    })
}
