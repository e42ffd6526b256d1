//! The condition a Decision Split step tests against a user's attributes.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::timestamp::parse_timestamp;

/// A test on one top-level attribute of a user, e.g. `plan equals "gold"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The attribute's name (a top-level key of the user's attributes).
    #[serde(default)]
    pub attribute: String,
    /// How the attribute is compared with `value`.
    pub op: ConditionOp,
    /// The value compared against; unused by `exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// How a condition compares an attribute with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    /// JSON equality; a number also equals a string holding the same number.
    Equals,
    /// The attribute is present and not null.
    Exists,
    /// Numbers (or numeric strings) compare numerically; two ISO-8601/RFC 3339 timestamps
    /// compare as instants (whatever their offsets); other strings compare as text.
    GreaterThan,
}

impl ConditionOp {
    /// The stable snake_case name, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionOp::Equals => "equals",
            ConditionOp::Exists => "exists",
            ConditionOp::GreaterThan => "greater_than",
        }
    }
}

impl Condition {
    /// Whether the condition holds for a user with these attributes. A missing attribute
    /// or missing value never satisfies `equals` or `greater_than`.
    pub fn evaluate(&self, attributes: &Map<String, Value>) -> bool {
        let actual = attributes
            .get(&self.attribute)
            .filter(|value| !value.is_null());
        match self.op {
            ConditionOp::Exists => actual.is_some(),
            ConditionOp::Equals => match (actual, &self.value) {
                (Some(actual), Some(expected)) => values_equal(actual, expected),
                _ => false,
            },
            ConditionOp::GreaterThan => match (actual, &self.value) {
                (Some(actual), Some(threshold)) => {
                    compare_values(actual, threshold) == Some(Ordering::Greater)
                }
                _ => false,
            },
        }
    }
}

/// The value as a finite number, from a JSON number or a string holding one.
fn as_number(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => parse_decimal(text)?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}

/// A plain decimal number (`-12`, `3.5`, `1e3`); unlike `f64::from_str`, not `inf` or `NaN`.
fn parse_decimal(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    let looks_numeric = trimmed
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && trimmed.bytes().any(|b| b.is_ascii_digit());
    if !looks_numeric {
        return None;
    }
    trimmed.parse().ok()
}

fn values_equal(actual: &Value, expected: &Value) -> bool {
    if actual == expected {
        return true;
    }
    let either_is_number = actual.is_number() || expected.is_number();
    match (as_number(actual), as_number(expected)) {
        (Some(left), Some(right)) if either_is_number => left == right,
        _ => false,
    }
}

fn compare_values(actual: &Value, threshold: &Value) -> Option<Ordering> {
    if let (Some(left), Some(right)) = (as_number(actual), as_number(threshold)) {
        return left.partial_cmp(&right);
    }
    let (Value::String(left), Value::String(right)) = (actual, threshold) else {
        return None;
    };
    match (parse_timestamp(left), parse_timestamp(right)) {
        (Some(left), Some(right)) => Some(left.cmp(&right)),
        _ => Some(left.as_str().cmp(right.as_str())),
    }
}
