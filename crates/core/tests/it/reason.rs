//! Reason codes keep one stable name across `as_str`, serde and `Display`.

use pinsync_core::reason::ReasonCode;

#[test]
fn every_reason_code_has_one_name_for_as_str_serde_and_display() {
    for &code in ReasonCode::ALL {
        let serde_name = serde_json::to_value(code).unwrap();
        assert_eq!(
            serde_name,
            serde_json::Value::String(code.as_str().to_owned())
        );
        assert_eq!(code.to_string(), code.as_str());
        assert_eq!(ReasonCode::parse(code.as_str()), Some(code));
        let back: ReasonCode = serde_json::from_value(serde_name).unwrap();
        assert_eq!(back, code);
    }
}

#[test]
fn reason_code_names_are_distinct_snake_case() {
    let mut names: Vec<&str> = ReasonCode::ALL.iter().map(|code| code.as_str()).collect();
    for name in &names {
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{name} is not snake_case"
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ReasonCode::ALL.len());
}

#[test]
fn all_lists_every_variant() {
    let expected = [
        "missing",
        "invalid_format",
        "already_hashed",
        "zero_id",
        "too_long",
        "ad_tracking_disabled",
        "no_match_fields",
        "invalid_token",
        "access_lost",
        "audience_deleted",
        "rate_limited",
        "transient",
        "invalid_request",
        "consent_revoked",
        "already_member",
    ];
    let names: Vec<&str> = ReasonCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(names, expected);
}

#[test]
fn every_description_is_one_sentence() {
    for &code in ReasonCode::ALL {
        let description = code.description();
        assert!(description.ends_with('.'), "{code}: {description}");
        assert!(description.starts_with(char::is_uppercase), "{code}");
    }
}

#[test]
fn parse_rejects_unknown_and_differently_cased_names() {
    assert_eq!(ReasonCode::parse("Missing"), None);
    assert_eq!(ReasonCode::parse("not_a_reason"), None);
    assert_eq!(ReasonCode::parse(""), None);
}
