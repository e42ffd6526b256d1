//! How steps are read from JSON: `type` picks the step kind, and an error inside a step
//! names the field at fault (serde's `flatten` would lose it), as `` `path`: message ``,
//! which `CanvasParseError` folds into its field path.

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::step::{AudienceRef, CreatedAudience, Step, StepId, StepKind};

/// The `type` names of the step kinds.
const STEP_TYPES: &[&str] = &["audience_sync", "delay", "decision_split"];

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Map::<String, Value>::deserialize(deserializer)?;
        let id: StepId = take_field(&mut fields, "id")?.unwrap_or_default();
        let name: String = take_field(&mut fields, "name")?.unwrap_or_default();
        let type_name: String =
            take_field(&mut fields, "type")?.ok_or_else(|| de::Error::missing_field("type"))?;
        let settings = Value::Object(fields);
        let kind = match type_name.as_str() {
            "audience_sync" => StepKind::AudienceSync(from_value_naming_field(settings, None)?),
            "delay" => StepKind::Delay(from_value_naming_field(settings, None)?),
            "decision_split" => StepKind::DecisionSplit(from_value_naming_field(settings, None)?),
            other => {
                return Err(de::Error::custom(format_args!(
                    "`type`: unknown step type `{other}`, expected one of {}",
                    STEP_TYPES.join(", ")
                )));
            }
        };
        Ok(Step { id, name, kind })
    }
}

/// Remove `key` from the step's fields and read it, if present.
fn take_field<T: DeserializeOwned, E: de::Error>(
    fields: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<T>, E> {
    fields
        .remove(key)
        .map(|value| from_value_naming_field(value, Some(key)))
        .transpose()
}

/// Read `value`; on error, prefix the message with the path of the field at fault.
fn from_value_naming_field<T: DeserializeOwned, E: de::Error>(
    value: Value,
    key: Option<&str>,
) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner_path = error.path().to_string();
        let path = match (key, inner_path.as_str()) {
            (Some(key), ".") => key.to_owned(),
            (Some(key), inner) => format!("{key}.{inner}"),
            (None, ".") => return E::custom(error.into_inner()),
            (None, inner) => inner.to_owned(),
        };
        E::custom(format_args!("`{path}`: {}", error.into_inner()))
    })
}

/// The JSON shape of `AudienceRef`: `step` is a bare id, not an object.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum AudienceRefJson {
    New(NewAudienceJson),
    Existing(ExistingAudienceJson),
    Step(StepId),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewAudienceJson {
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<CreatedAudience>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExistingAudienceJson {
    #[serde(default)]
    audience_id: String,
}

impl From<AudienceRefJson> for AudienceRef {
    fn from(json: AudienceRefJson) -> Self {
        match json {
            AudienceRefJson::New(new) => AudienceRef::New {
                name: new.name,
                created: new.created,
            },
            AudienceRefJson::Existing(existing) => AudienceRef::Existing {
                audience_id: existing.audience_id,
            },
            AudienceRefJson::Step(step) => AudienceRef::Step { step },
        }
    }
}

impl From<AudienceRef> for AudienceRefJson {
    fn from(audience: AudienceRef) -> Self {
        match audience {
            AudienceRef::New { name, created } => {
                AudienceRefJson::New(NewAudienceJson { name, created })
            }
            AudienceRef::Existing { audience_id } => {
                AudienceRefJson::Existing(ExistingAudienceJson { audience_id })
            }
            AudienceRef::Step { step } => AudienceRefJson::Step(step),
        }
    }
}
