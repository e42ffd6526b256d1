//! Parsing a `users/track` body into store upserts, collecting every problem by index.
//!
//! The call is atomic: if any entry is malformed, nothing is stored and the answer lists every
//! problem. An identifier that is present but unusable (e.g. an email without a domain) is not
//! malformed: it is stored as unusable, with its reason, and reported as a warning.

use pinsync_core::identifier::{IdentifierKind, hash_identifier};
use pinsync_store::{FieldUpdate, StoredIdentifier, UserUpsert};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// The raw body: validated by hand so problems can be reported per index.
pub(crate) type TrackRequest = Value;

/// The longest accepted `external_id`, in characters.
pub(crate) const MAX_EXTERNAL_ID_CHARS: usize = 512;
/// The longest accepted custom attribute name, in characters.
const MAX_ATTRIBUTE_NAME_CHARS: usize = 255;

/// A problem that makes an entry malformed.
#[derive(Debug, Serialize)]
pub(crate) struct EntryError {
    pub index: usize,
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// An identifier that was stored as unusable.
#[derive(Debug, Serialize)]
pub(crate) struct EntryWarning {
    pub index: usize,
    pub field: &'static str,
    pub reason: &'static str,
}

pub(crate) struct ParsedTrack {
    pub users: Vec<UserUpsert>,
    pub warnings: Vec<EntryWarning>,
}

pub(crate) fn parse_track_request(body: Value, max_users: usize) -> Result<ParsedTrack, ApiError> {
    let Some(entries) = body.get("attributes").and_then(Value::as_array) else {
        return Err(ApiError::unprocessable(
            "invalid_request",
            "the body must be a JSON object with an `attributes` array of users",
        ));
    };
    if entries.len() > max_users {
        return Err(ApiError::unprocessable(
            "too_many_users",
            format!(
                "{} users in one call; the limit is {max_users}: split the call",
                entries.len()
            ),
        )
        .with_details(json!({ "limit": max_users, "received": entries.len() })));
    }
    let mut users = Vec::with_capacity(entries.len());
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        match parse_entry(index, entry, &mut warnings) {
            Ok(user) => users.push(user),
            Err(mut entry_errors) => errors.append(&mut entry_errors),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_users",
            format!(
                "{} problem(s) in the users sent; nothing was stored: fix them and send the call again",
                errors.len()
            ),
        )
        .with_details(json!({ "errors": errors })));
    }
    Ok(ParsedTrack { users, warnings })
}

fn parse_entry(
    index: usize,
    entry: &Value,
    warnings: &mut Vec<EntryWarning>,
) -> Result<UserUpsert, Vec<EntryError>> {
    let mut errors = Vec::new();
    let mut error = |field: &str, code: &'static str, message: String| {
        errors.push(EntryError {
            index,
            field: field.to_owned(),
            code,
            message,
        });
    };
    let Some(object) = entry.as_object() else {
        error(
            "",
            "not_an_object",
            "each user must be a JSON object".into(),
        );
        return Err(errors);
    };
    let mut user = UserUpsert::default();
    match object.get("external_id") {
        Some(Value::String(id)) if id.trim().is_empty() => error(
            "external_id",
            "missing_external_id",
            "external_id is empty".into(),
        ),
        Some(Value::String(id)) if id.chars().count() > MAX_EXTERNAL_ID_CHARS => error(
            "external_id",
            "invalid_external_id",
            format!("external_id is longer than {MAX_EXTERNAL_ID_CHARS} characters"),
        ),
        Some(Value::String(id)) if id.chars().any(char::is_control) => error(
            "external_id",
            "invalid_external_id",
            "external_id contains control characters".into(),
        ),
        Some(Value::String(id)) => user.external_id = id.clone(),
        None | Some(Value::Null) => error(
            "external_id",
            "missing_external_id",
            "every user needs an external_id".into(),
        ),
        Some(_) => error(
            "external_id",
            "invalid_type",
            "external_id must be a string".into(),
        ),
    }
    for kind in [
        IdentifierKind::Email,
        IdentifierKind::Gaid,
        IdentifierKind::Idfa,
    ] {
        let field = kind.as_str();
        let update = match object.get(field) {
            None => FieldUpdate::Keep,
            Some(Value::Null) => FieldUpdate::Clear,
            Some(Value::String(raw)) => match hash_identifier(kind, Some(raw)) {
                Ok(hash) => FieldUpdate::Set(StoredIdentifier::valid(hash.as_str().to_owned())),
                Err(reason) => {
                    warnings.push(EntryWarning {
                        index,
                        field,
                        reason: reason.as_str(),
                    });
                    FieldUpdate::Set(StoredIdentifier::rejected(reason.as_str()))
                }
            },
            Some(_) => {
                error(
                    field,
                    "invalid_type",
                    format!("{field} must be a string or null"),
                );
                FieldUpdate::Keep
            }
        };
        match kind {
            IdentifierKind::Email => user.email = update,
            IdentifierKind::Gaid => user.gaid = update,
            IdentifierKind::Idfa => user.idfa = update,
        }
    }
    match object.get("ad_tracking_enabled") {
        None => {}
        Some(Value::Null) => user.ad_tracking_enabled = FieldUpdate::Clear,
        Some(Value::Bool(enabled)) => user.ad_tracking_enabled = FieldUpdate::Set(*enabled),
        Some(_) => error(
            "ad_tracking_enabled",
            "invalid_type",
            "ad_tracking_enabled must be true, false or null".into(),
        ),
    }
    user.attributes = custom_attributes(object, &mut error);
    if errors.is_empty() {
        Ok(user)
    } else {
        Err(errors)
    }
}

fn custom_attributes(
    object: &Map<String, Value>,
    error: &mut impl FnMut(&str, &'static str, String),
) -> Map<String, Value> {
    let reserved = [
        "external_id",
        "email",
        "gaid",
        "idfa",
        "ad_tracking_enabled",
    ];
    let mut attributes = Map::new();
    for (name, value) in object {
        if reserved.contains(&name.as_str()) {
            continue;
        }
        if name.is_empty() || name.chars().count() > MAX_ATTRIBUTE_NAME_CHARS {
            error(
                name,
                "invalid_attribute_name",
                format!("attribute names must have 1 to {MAX_ATTRIBUTE_NAME_CHARS} characters"),
            );
            continue;
        }
        attributes.insert(name.clone(), value.clone());
    }
    attributes
}
