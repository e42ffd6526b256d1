//! Decision split conditions evaluated against user attributes.

use pinsync_core::canvas::{Condition, ConditionOp};
use serde_json::{Map, Value, json};

fn condition(op: ConditionOp, value: Option<Value>) -> Condition {
    Condition {
        attribute: "x".to_owned(),
        op,
        value,
    }
}

fn user(value: Value) -> Map<String, Value> {
    let mut attributes = Map::new();
    attributes.insert("x".to_owned(), value);
    attributes
}

#[test]
fn equals_compares_json_values_and_numbers_with_numeric_strings() {
    let cases = [
        (json!("gold"), json!("gold"), true),
        (json!("gold"), json!("Gold"), false),
        (json!(5), json!(5), true),
        (json!(5), json!(5.0), true),
        (json!(5), json!("5"), true),
        (json!("5.0"), json!(5), true),
        (json!(" 5 "), json!(5), true),
        (json!("5"), json!("5.0"), false),
        (json!(5), json!("five"), false),
        (json!(true), json!(true), true),
        (json!(true), json!("true"), false),
        (json!([1, 2]), json!([1, 2]), true),
        (json!({"a": 1}), json!({"a": 1}), true),
        (json!("NaN"), json!(0), false),
        (json!(1), json!("inf"), false),
    ];
    for (actual, expected, holds) in cases {
        let test = condition(ConditionOp::Equals, Some(expected.clone()));
        assert_eq!(
            test.evaluate(&user(actual.clone())),
            holds,
            "{actual} equals {expected}"
        );
    }
}

#[test]
fn equals_is_false_when_the_attribute_or_value_is_absent() {
    let test = condition(ConditionOp::Equals, Some(json!("gold")));
    assert!(!test.evaluate(&Map::new()));
    assert!(!test.evaluate(&user(Value::Null)));
    let no_value = condition(ConditionOp::Equals, None);
    assert!(!no_value.evaluate(&user(json!("gold"))));
}

#[test]
fn exists_means_present_and_not_null() {
    let test = condition(ConditionOp::Exists, None);
    assert!(test.evaluate(&user(json!(""))));
    assert!(test.evaluate(&user(json!(false))));
    assert!(test.evaluate(&user(json!(0))));
    assert!(!test.evaluate(&user(Value::Null)));
    assert!(!test.evaluate(&Map::new()));
}

#[test]
fn greater_than_compares_numbers_numerically_and_other_strings_as_text() {
    let cases = [
        (json!(10), json!(9), true),
        (json!(9), json!(10), false),
        (json!(10), json!(10), false),
        (json!("10"), json!(9), true),
        (json!("10"), json!("9"), true),
        (json!(-1.5), json!(-2), true),
        (
            json!("2026-03-01T00:00:00Z"),
            json!("2026-02-28T23:59:59Z"),
            true,
        ),
        (json!("2026-02-01"), json!("2026-02-28"), false),
        (json!("abc"), json!(5), false),
        (json!(true), json!(0), false),
        (json!([5]), json!(1), false),
        (Value::Null, json!(0), false),
    ];
    for (actual, threshold, holds) in cases {
        let test = condition(ConditionOp::GreaterThan, Some(threshold.clone()));
        assert_eq!(
            test.evaluate(&user(actual.clone())),
            holds,
            "{actual} > {threshold}"
        );
    }
}

#[test]
fn a_condition_reads_only_its_own_attribute() {
    let test = Condition {
        attribute: "plan".into(),
        op: ConditionOp::Exists,
        value: None,
    };
    let mut attributes = Map::new();
    attributes.insert("other".into(), json!("gold"));
    assert!(!test.evaluate(&attributes));
}
