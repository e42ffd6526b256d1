//! Entering users: `POST /canvas/trigger/send` (JSON, up to 10,000 recipients, all or
//! nothing, per-index errors) and `POST /canvases/{id}/entries` (a streamed NDJSON or CSV
//! body of any size, entered chunk by chunk; bad rows listed by line).

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use axum::{Json, Router};
use http_body_util::BodyExt;
use pinsync_engine::entry::BulkFormat;
use pinsync_store::{EntryCandidate, FieldUpdate};
use serde_json::{Map, Value, json};

use super::super::users::queue_consent_removals;
use super::super::users_track::parse_track_request;
use super::parse_canvas_id;
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{CallerWorkspace, JsonBody};

/// The most recipients one `trigger/send` call may carry.
pub(crate) const MAX_TRIGGER_RECIPIENTS: usize = 10_000;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/canvas/trigger/send", post(trigger_send))
        .route("/canvases/{id}/entries", post(bulk_entries))
}

/// A per-index problem of a `trigger/send` body.
fn recipient_error(index: usize, field: &str, code: &str, message: &str) -> Value {
    json!({ "index": index, "field": field, "code": code, "message": message })
}

/// The `users/track`-shaped entry of one recipient and its entry properties, or its problems.
fn recipient_entry(index: usize, recipient: &Value) -> Result<(Value, Option<String>), Vec<Value>> {
    let Some(object) = recipient.as_object() else {
        return Err(vec![recipient_error(
            index,
            "",
            "not_an_object",
            "each recipient must be a JSON object",
        )]);
    };
    let mut errors = Vec::new();
    let mut entry = match object.get("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(attributes)) => attributes.clone(),
        Some(_) => {
            errors.push(recipient_error(
                index,
                "attributes",
                "invalid_type",
                "attributes must be an object",
            ));
            Map::new()
        }
    };
    if entry.contains_key("external_id") {
        errors.push(recipient_error(
            index,
            "attributes.external_id",
            "invalid_attribute_name",
            "give the user's id as external_user_id, not inside attributes",
        ));
    }
    let external_id = object
        .get("external_user_id")
        .cloned()
        .unwrap_or(Value::Null);
    entry.insert("external_id".into(), external_id);
    let properties = match object.get("canvas_entry_properties") {
        None | Some(Value::Null) => None,
        Some(properties @ Value::Object(_)) => Some(properties.to_string()),
        Some(_) => {
            errors.push(recipient_error(
                index,
                "canvas_entry_properties",
                "invalid_type",
                "canvas_entry_properties must be an object",
            ));
            None
        }
    };
    for field in object.keys() {
        if !["external_user_id", "attributes", "canvas_entry_properties"].contains(&field.as_str())
        {
            errors.push(recipient_error(
                index,
                field,
                "unknown_field",
                "recipients accept external_user_id, attributes and canvas_entry_properties",
            ));
        }
    }
    if errors.is_empty() {
        Ok((Value::Object(entry), properties))
    } else {
        Err(errors)
    }
}

/// Renames the `users/track` fields of a problem to this endpoint's.
fn recipient_field(field: &str) -> String {
    match field {
        "external_id" => "external_user_id".into(),
        "" => String::new(),
        other => format!("attributes.{other}"),
    }
}

async fn trigger_send(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let canvas_id = match body.get("canvas_id") {
        Some(Value::String(id)) => parse_canvas_id(id)?,
        Some(Value::Number(id)) => parse_canvas_id(&id.to_string())?,
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_request",
                "the body needs a `canvas_id` (the id of an active canvas)",
            ));
        }
    };
    let Some(recipients) = body.get("recipients").and_then(Value::as_array) else {
        return Err(ApiError::unprocessable(
            "invalid_request",
            "the body needs a `recipients` array",
        ));
    };
    if recipients.len() > MAX_TRIGGER_RECIPIENTS {
        return Err(ApiError::unprocessable(
            "too_many_recipients",
            format!(
                "{} recipients in one call; the limit is {MAX_TRIGGER_RECIPIENTS}: split the call or use /canvases/{{id}}/entries",
                recipients.len()
            ),
        )
        .with_details(json!({ "limit": MAX_TRIGGER_RECIPIENTS, "received": recipients.len() })));
    }
    let mut errors = Vec::new();
    let mut entries = Vec::with_capacity(recipients.len());
    let mut properties = Vec::with_capacity(recipients.len());
    for (index, recipient) in recipients.iter().enumerate() {
        match recipient_entry(index, recipient) {
            Ok((entry, entry_properties)) => {
                entries.push(entry);
                properties.push(entry_properties);
            }
            Err(mut problems) => {
                errors.append(&mut problems);
                entries.push(json!({}));
                properties.push(None);
            }
        }
    }
    let parsed = parse_track_request(json!({ "attributes": entries }), MAX_TRIGGER_RECIPIENTS);
    let users = match parsed {
        Ok(parsed) if errors.is_empty() => parsed.users,
        Ok(_) => Vec::new(),
        Err(error) => {
            let track_errors = error.details["errors"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for mut problem in track_errors {
                let index = problem["index"].as_u64().unwrap_or(0) as usize;
                let already = errors.iter().any(|e| e["index"] == index);
                if already && problem["field"] == "external_id" {
                    continue;
                }
                let field = recipient_field(problem["field"].as_str().unwrap_or(""));
                problem["field"] = Value::String(field);
                errors.push(problem);
            }
            Vec::new()
        }
    };
    if !errors.is_empty() {
        errors.sort_by_key(|e| e["index"].as_u64());
        return Err(ApiError::unprocessable(
            "invalid_recipients",
            format!(
                "{} problem(s) in the recipients; nobody was entered: fix them and send the call again",
                errors.len()
            ),
        )
        .with_details(json!({ "errors": errors })));
    }
    let revoked: Vec<String> = users
        .iter()
        .filter(|user| user.ad_tracking_enabled == FieldUpdate::Set(false))
        .map(|user| user.external_id.clone())
        .collect();
    let candidates: Vec<EntryCandidate> = users
        .into_iter()
        .zip(properties)
        .map(|(user, entry_properties)| EntryCandidate {
            user,
            entry_properties,
        })
        .collect();
    let report = state.engine.enter(workspace, canvas_id, candidates).await?;
    metrics::counter!(
        pinsync_core::metrics::CANVAS_ENTRIES_TOTAL,
        "canvas_id" => canvas_id.to_string()
    )
    .increment(report.entered);
    queue_consent_removals(&state, workspace, revoked).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message": "success",
            "dispatch_id": dispatch_id(),
            "entered": report.entered,
            "already_in_canvas": report.already_in_canvas,
            "users_created": report.users_created,
            "users_updated": report.users_updated,
        })),
    ))
}

/// A random id naming one call, as the established API answers.
fn dispatch_id() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

fn bulk_format(request: &Request) -> Result<BulkFormat, ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    match media_type.to_ascii_lowercase().as_str() {
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
            Ok(BulkFormat::Ndjson)
        }
        "text/csv" => Ok(BulkFormat::Csv),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send the users as `Content-Type: application/x-ndjson` or `text/csv`, not `{content_type}`"
            ),
        )),
    }
}

async fn bulk_entries(
    State(state): State<AppState>,
    CallerWorkspace(workspace): CallerWorkspace,
    Path(id): Path<String>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let canvas_id = parse_canvas_id(&id)?;
    let format = bulk_format(&request)?;
    let mut bulk = state
        .engine
        .bulk_entry(workspace, canvas_id, format)
        .await?;
    let mut body = request.into_body();
    let mut line_length = LineLengthGuard::new(state.settings.max_body_bytes);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", e.to_string())
                .with_details(json!({ "committed": bulk.summary() }))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if let Some(line) = line_length.overlong_line(&data, bulk.summary().lines) {
            let limit = state.settings.max_body_bytes;
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "line_too_long",
                format!("line {line} is longer than the limit of {limit} bytes"),
            )
            .with_details(
                json!({ "line": line, "limit_bytes": limit, "committed": bulk.summary() }),
            ));
        }
        if let Err(error) = bulk.push(&data).await {
            // The chunks committed before the error keep their consent changes.
            queue_consent_removals(&state, workspace, bulk.revoked_consent().to_vec()).await?;
            let committed = serde_json::to_value(bulk.summary()).unwrap_or(Value::Null);
            let mut answer = ApiError::from(error);
            answer.details = merge_details(answer.details, committed);
            return Err(answer);
        }
    }
    let revoked = bulk.revoked_consent().to_vec();
    let finished = bulk.finish().await;
    queue_consent_removals(&state, workspace, revoked).await?;
    let summary = finished?;
    metrics::counter!(
        pinsync_core::metrics::CANVAS_ENTRIES_TOTAL,
        "canvas_id" => canvas_id.to_string()
    )
    .increment(summary.entered);
    Ok(Json(json!({ "message": "success", "summary": summary })))
}

/// Refuses a bulk line longer than the body limit, so that a body without line breaks is not
/// buffered without end: lines may be many, but each must fit the limit.
struct LineLengthGuard {
    limit: usize,
    /// Bytes of the line that is still open at the end of the data seen so far.
    open_line_bytes: usize,
}

impl LineLengthGuard {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            open_line_bytes: 0,
        }
    }

    /// The 1-based number of the first line in `data` that is over the limit, given how many
    /// complete lines came before it.
    fn overlong_line(&mut self, data: &[u8], complete_lines: u64) -> Option<u64> {
        for (index, segment) in data.split(|&byte| byte == b'\n').enumerate() {
            self.open_line_bytes = match index {
                0 => self.open_line_bytes + segment.len(),
                _ => segment.len(),
            };
            if self.open_line_bytes > self.limit {
                return Some(complete_lines + 1 + index as u64);
            }
        }
        None
    }
}

/// The error's details with what was committed before it (`committed`).
fn merge_details(details: Value, committed: Value) -> Value {
    let mut object = match details {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    object.insert("committed".into(), committed);
    Value::Object(object)
}
