//! Customer lists: create, list, get and `PATCH` ADD / REMOVE with Pinterest's counter
//! semantics, keeping each list's true membership for inspection.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{
    ADS_READ, ADS_WRITE, ad_account_id, authorize, json_body, numeric_id, params,
};
use crate::pagination::{order, paginate};
use crate::records::{ParsedRecords, count_records, parse_records};
use crate::state::{CustomerList, SandboxState};

const LIST_TYPES: [&str; 6] = [
    "EMAIL",
    "IDFA",
    "MAID",
    "LR_ID",
    "DLX_ID",
    "HASHED_PINNER_ID",
];

#[derive(Deserialize)]
struct CreateRequest<'a> {
    name: Option<String>,
    #[serde(borrow)]
    records: Option<Cow<'a, str>>,
    list_type: Option<String>,
}

#[derive(Deserialize)]
struct UpdateRequest<'a> {
    operation_type: Option<String>,
    /// Borrowed from the body when it holds no escapes, which saves a copy of a large string.
    #[serde(borrow)]
    records: Option<Cow<'a, str>>,
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
    let name = request
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::InvalidParameters("name is required".into()))?;
    let records = request
        .records
        .ok_or_else(|| ApiError::InvalidParameters("records is required".into()))?;
    let list_type = request.list_type.unwrap_or_else(|| "EMAIL".into());
    if !LIST_TYPES.contains(&list_type.as_str()) {
        return Err(ApiError::InvalidParameters(format!(
            "list_type must be one of {LIST_TYPES:?}"
        )));
    }
    let parsed = parse_within_limit(&state, &records)?;
    if parsed.total() == 0 && !state.config.customer_lists.allow_empty_create {
        return Err(ApiError::InvalidParameters(
            "records must not be empty".into(),
        ));
    }

    let now = state.clock.now();
    let mut list = CustomerList {
        id: state.new_customer_list_id(),
        ad_account_id: account.to_owned(),
        name,

        created_at: now,
        updated_time: now.as_secs(),
        num_batches: 0,
        num_uploaded_user_records: 0,
        num_removed_user_records: 0,
        exceptions: json!({}),
        members: HashSet::default(),
        matched: 0,
    };
    apply(&state, &mut list, Operation::Add, parsed);
    let rendered = render(&state, &list);
    state
        .customer_lists
        .write()
        .insert(list.id, Arc::new(Mutex::new(list)));
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
    let lists: Vec<Arc<Mutex<CustomerList>>> =
        state.customer_lists.read().values().cloned().collect();
    let mut items: Vec<(u64, Value)> = lists
        .iter()
        .filter_map(|list| {
            let list = list.lock();
            (list.ad_account_id == account).then(|| (list.id, render(&state, &list)))
        })
        .collect();
    if order == crate::pagination::Order::Descending {
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
    Path((account, list_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_READ)?;
    let account = ad_account_id(&account)?;
    state.require_account_access(&caller.user_id, account, false)?;
    let list = find(&state, account, &list_id)?;
    let list = list.lock();
    Ok(Json(render(&state, &list)))
}

pub(crate) async fn update(
    State(state): State<Arc<SandboxState>>,
    headers: HeaderMap,
    Path((account, list_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let caller = authorize(&state, &headers, ADS_WRITE)?;
    let account = ad_account_id(&account)?;
    state.require_account_access(&caller.user_id, account, true)?;
    let list = find(&state, account, &list_id)?;
    // Applying a batch to a large list can take a while (growing its member set moves every
    // record), so the body is read and applied off the async workers: other requests keep
    // being accepted, and timed for the rate statistics, meanwhile, as a real API's front end
    // would.
    let rendered = tokio::task::spawn_blocking(move || {
        let request: UpdateRequest = json_body(&body)?;
        let operation = match request.operation_type.as_deref() {
            Some("ADD") => Operation::Add,
            Some("REMOVE") => Operation::Remove,
            _ => {
                return Err(ApiError::InvalidParameters(
                    "operation_type must be ADD or REMOVE".into(),
                ));
            }
        };
        let records = request
            .records
            .ok_or_else(|| ApiError::InvalidParameters("records is required".into()))?;
        let parsed = parse_within_limit(&state, &records)?;
        let mut list = list.lock();
        apply(&state, &mut list, operation, parsed);
        Ok(render(&state, &list))
    })
    .await
    .map_err(|_| ApiError::ServerError(500))??;
    Ok(Json(rendered))
}

/// Finds a live list of this ad account; a list of another account is as unknown as a
/// missing one.
fn find(
    state: &SandboxState,
    account: &str,
    list_id: &str,
) -> Result<Arc<Mutex<CustomerList>>, ApiError> {
    let not_found = ApiError::NotFound("Customer list not found.");
    let id = numeric_id(list_id, "customer_list_id").map_err(|_| not_found.clone())?;
    let list = state.customer_list(id).ok_or(not_found.clone())?;
    if list.lock().ad_account_id != account {
        return Err(not_found);
    }
    Ok(list)
}

fn parse_within_limit<'a>(
    state: &SandboxState,
    records: &'a str,
) -> Result<ParsedRecords<'a>, ApiError> {
    let max = state.config.customer_lists.max_records_per_request;
    let count = count_records(records);
    if count > max {
        return Err(ApiError::InvalidParameters(format!(
            "records holds {count} records; at most {max} are allowed per request"
        )));
    }
    Ok(parse_records(records))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Add,
    Remove,
}

/// Applies one batch: counters per Pinterest (ADD counts duplicates, REMOVE counts misses),
/// membership and matched count per the truth.
fn apply(
    state: &SandboxState,
    list: &mut CustomerList,
    operation: Operation,
    parsed: ParsedRecords,
) {
    list.num_batches += 1;
    list.updated_time = state.clock.now_secs();
    list.exceptions = if parsed.invalid == 0 {
        json!({})
    } else {
        json!({
            "code": 42,
            "message": format!("{} records were invalid and ignored", parsed.invalid),
            "invalid_record_count": parsed.invalid,
        })
    };
    let valid = parsed.valid.len() as u64;
    match operation {
        Operation::Add => {
            list.num_uploaded_user_records += valid;
            for record in parsed.valid {
                // Most records of a busy list are already members: look up before allocating.
                if list.members.contains(record.as_ref()) {
                    continue;
                }
                if state.match_universe.contains(&record) {
                    list.matched += 1;
                }
                list.members.insert(record.into_owned());
            }
        }
        Operation::Remove => {
            list.num_removed_user_records += valid;
            for record in parsed.valid {
                if list.members.remove(record.as_ref()) && state.match_universe.contains(&record) {
                    list.matched -= 1;
                }
            }
        }
    }
}

/// The `CustomerList` object.
fn render(state: &SandboxState, list: &CustomerList) -> Value {
    let status = if !state.processing_done(list.created_at) {
        "PROCESSING"
    } else if list.matched >= state.config.matching.min_audience_size {
        "READY"
    } else {
        "TOO_SMALL"
    };
    json!({
        "ad_account_id": list.ad_account_id,
        "created_time": list.created_at.as_secs(),
        "id": list.id.to_string(),
        "name": list.name,
        "num_batches": list.num_batches,
        "num_removed_user_records": list.num_removed_user_records,
        "num_uploaded_user_records": list.num_uploaded_user_records,
        "type": "customerlist",
        "updated_time": list.updated_time,
        "exceptions": list.exceptions,
        "status": status,
        "is_nca": false,
    })
}
