//! Decision split conditions evaluated against user attributes.

use pinsync_core::canvas::{Condition, ConditionOp};
use proptest::prelude::*;
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
        (
            json!("2026-03-01T09:00:00+09:00"),
            json!("2026-03-01T00:00:01Z"),
            false,
        ),
        (
            json!("2026-03-01T09:00:00+09:00"),
            json!("2026-02-28T23:59:59Z"),
            true,
        ),
        (
            json!("2026-03-01T00:00:00.5Z"),
            json!("2026-03-01T00:00:00Z"),
            true,
        ),
        (json!("2026-03-02"), json!("2026-03-01T23:59:59Z"), true),
        (json!("b"), json!("a"), true),
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

proptest! {
    #[test]
    fn greater_than_agrees_with_numeric_order(actual in -1e9f64..1e9, threshold in -1e9f64..1e9) {
        let test = condition(ConditionOp::GreaterThan, Some(json!(threshold)));
        prop_assert_eq!(test.evaluate(&user(json!(actual))), actual > threshold);
        prop_assert_eq!(test.evaluate(&user(json!(actual.to_string()))), actual > threshold);
    }

    #[test]
    fn evaluating_never_panics_on_any_strings(actual in "\\PC*", threshold in "\\PC*") {
        for op in [ConditionOp::Equals, ConditionOp::Exists, ConditionOp::GreaterThan] {
            let _ = condition(op, Some(json!(threshold))).evaluate(&user(json!(actual)));
        }
    }

    #[test]
    fn timestamps_in_any_offset_compare_as_instants(
        seconds in 0i64..4_000_000_000,
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i64),
    ) {
        let utc = format_utc(seconds);
        let shifted = format_with_offset(seconds, offset_minutes);
        let later = format_utc(seconds + 1);
        let greater = condition(ConditionOp::GreaterThan, Some(json!(shifted)));
        prop_assert!(greater.evaluate(&user(json!(later))), "{} > {}", later, shifted);
        prop_assert!(!greater.evaluate(&user(json!(utc))), "{} > {}", utc, shifted);
    }
}

/// `seconds` since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil_from_days, Howard Hinnant).
fn format_utc(seconds: i64) -> String {
    let (date, time) = civil(seconds);
    format!("{date}T{time}Z")
}

/// The same instant written in local time at `offset_minutes` east of UTC.
fn format_with_offset(seconds: i64, offset_minutes: i64) -> String {
    let (date, time) = civil(seconds + offset_minutes * 60);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.abs();
    format!("{date}T{time}{sign}{:02}:{:02}", offset / 60, offset % 60)
}

fn civil(seconds: i64) -> (String, String) {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        ),
    )
}
