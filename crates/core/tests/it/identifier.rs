//! Table tests of identifier parsing, normalization, hashing and redaction.

use pinsync_core::identifier::{
    Email, Gaid, HashedIdentifier, IdentifierKind, Idfa, check_identifier, hash_identifier,
};
use pinsync_core::reason::ReasonCode;

const SHA256_OF_TEST_AT_EXAMPLE_COM: &str =
    "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";

#[test]
fn emails_are_trimmed_and_lowercased() {
    let cases = [
        ("test@example.com", "test@example.com"),
        ("  Test@Example.COM \n", "test@example.com"),
        ("\tUSER+tag@Sub.Example.org", "user+tag@sub.example.org"),
        ("ÜSER@bücher.de", "üser@bücher.de"),
        ("用户@例子.广告", "用户@例子.广告"),
        ("a@b.co", "a@b.co"),
    ];
    for (raw, normalized) in cases {
        let email = Email::parse(raw).unwrap_or_else(|reason| panic!("{raw:?}: {reason}"));
        assert_eq!(email.as_str(), normalized, "{raw:?}");
    }
}

#[test]
fn malformed_emails_are_rejected_with_their_reason() {
    let long_local = "a".repeat(250);
    let too_long = format!("{long_local}@example.com");
    let just_fits = format!("{}@example.com", "a".repeat(254 - "@example.com".len()));
    assert!(Email::parse(&just_fits).is_ok());
    let cases: Vec<(&str, ReasonCode)> = vec![
        ("", ReasonCode::Missing),
        ("   \t\n", ReasonCode::Missing),
        ("plainaddress", ReasonCode::InvalidFormat),
        ("@example.com", ReasonCode::InvalidFormat),
        ("user@", ReasonCode::InvalidFormat),
        ("user@localhost", ReasonCode::InvalidFormat),
        ("user@example.", ReasonCode::InvalidFormat),
        ("user@.example.com", ReasonCode::InvalidFormat),
        ("user@example..com", ReasonCode::InvalidFormat),
        ("a@b@example.com", ReasonCode::InvalidFormat),
        ("user name@example.com", ReasonCode::InvalidFormat),
        ("user@exa mple.com", ReasonCode::InvalidFormat),
        ("user\0@example.com", ReasonCode::InvalidFormat),
        ("user@example.com\0", ReasonCode::InvalidFormat),
        ("us\u{7}er@example.com", ReasonCode::InvalidFormat),
        ("\"quoted\"@example.com", ReasonCode::InvalidFormat),
        ("user@exam_ple.com", ReasonCode::InvalidFormat),
        ("user@😀.com", ReasonCode::InvalidFormat),
        (&too_long, ReasonCode::TooLong),
        (SHA256_OF_TEST_AT_EXAMPLE_COM, ReasonCode::AlreadyHashed),
        (
            "B642B4217B34B1E8D3BD915FC65C4452",
            ReasonCode::AlreadyHashed,
        ),
        (
            "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
            ReasonCode::AlreadyHashed,
        ),
    ];
    for (raw, reason) in cases {
        assert_eq!(Email::parse(raw).map(|_| ()), Err(reason), "{raw:?}");
    }
}

#[test]
fn an_emoji_in_the_local_part_is_accepted_as_an_internationalized_address() {
    let email = Email::parse("🎉party@example.com").unwrap();
    assert_eq!(email.as_str(), "🎉party@example.com");
}

#[test]
fn email_hash_is_sha256_of_the_normalized_address() {
    let email = Email::parse(" Test@Example.com ").unwrap();
    assert_eq!(email.hashed().as_str(), SHA256_OF_TEST_AT_EXAMPLE_COM);
}

#[test]
fn gaids_are_normalized_to_lowercase() {
    let gaid = Gaid::parse(" 38400000-8CF0-11BD-B23E-10B96E40000D ").unwrap();
    assert_eq!(gaid.as_str(), "38400000-8cf0-11bd-b23e-10b96e40000d");
    assert_eq!(
        gaid.hashed().as_str(),
        "d4181bb455a74b3bc8b37c75ac9b2c702eb6b9930bd040b861403b31ca85634d"
    );
}

#[test]
fn idfas_are_normalized_to_uppercase() {
    let idfa = Idfa::parse("ab12cd34-ef56-7890-abcd-ef1234567890").unwrap();
    assert_eq!(idfa.as_str(), "AB12CD34-EF56-7890-ABCD-EF1234567890");
    assert_eq!(
        idfa.hashed().as_str(),
        "8ba4a2ed038a01d3506cc874c70b1d9b9eba274fc101edbeaf18bf962265939d"
    );
}

#[test]
fn malformed_advertising_ids_are_rejected_with_their_reason() {
    let cases = [
        ("", ReasonCode::Missing),
        ("  ", ReasonCode::Missing),
        ("00000000-0000-0000-0000-000000000000", ReasonCode::ZeroId),
        (
            " 00000000-0000-0000-0000-000000000000\n",
            ReasonCode::ZeroId,
        ),
        (
            "38400000-8cf0-11bd-b23e-10b96e40000",
            ReasonCode::InvalidFormat,
        ),
        (
            "38400000-8cf0-11bd-b23e-10b96e40000dd",
            ReasonCode::InvalidFormat,
        ),
        (
            "38400000-8cf0-11bd-b23e10b96e40000d",
            ReasonCode::InvalidFormat,
        ),
        (
            "3840000g-8cf0-11bd-b23e-10b96e40000d",
            ReasonCode::InvalidFormat,
        ),
        (
            "38400000-8cf0-11bd-b23e-10b96e40000d-",
            ReasonCode::InvalidFormat,
        ),
        (
            "{38400000-8cf0-11bd-b23e-10b96e40000d}",
            ReasonCode::InvalidFormat,
        ),
        (
            "3840 000-8cf0-11bd-b23e-10b96e40000d",
            ReasonCode::InvalidFormat,
        ),
        (
            "38400000-8cf0-11bd-b23e-10b96e40000\0",
            ReasonCode::InvalidFormat,
        ),
        (
            "３８400000-8cf0-11bd-b23e-10b96e40000d",
            ReasonCode::InvalidFormat,
        ),
        ("not an id 😀", ReasonCode::InvalidFormat),
        (
            "384000008cf011bdb23e10b96e40000d",
            ReasonCode::AlreadyHashed,
        ),
        (SHA256_OF_TEST_AT_EXAMPLE_COM, ReasonCode::AlreadyHashed),
    ];
    for (raw, reason) in cases {
        assert_eq!(Gaid::parse(raw).map(|_| ()), Err(reason), "gaid {raw:?}");
        assert_eq!(Idfa::parse(raw).map(|_| ()), Err(reason), "idfa {raw:?}");
    }
}

#[test]
fn very_long_input_is_rejected_without_trouble() {
    let huge = "x".repeat(1_000_000);
    assert_eq!(
        Email::parse(&format!("{huge}@example.com")).map(|_| ()),
        Err(ReasonCode::TooLong)
    );
    assert_eq!(
        Gaid::parse(&huge).map(|_| ()),
        Err(ReasonCode::InvalidFormat)
    );
    assert_eq!(
        Idfa::parse(&huge).map(|_| ()),
        Err(ReasonCode::InvalidFormat)
    );
}

#[test]
fn hash_identifier_treats_none_and_blank_as_missing() {
    for &kind in IdentifierKind::ALL {
        assert_eq!(
            hash_identifier(kind, None),
            Err(ReasonCode::Missing),
            "{kind}"
        );
        assert_eq!(
            hash_identifier(kind, Some(" ")),
            Err(ReasonCode::Missing),
            "{kind}"
        );
        assert_eq!(
            check_identifier(kind, None),
            Err(ReasonCode::Missing),
            "{kind}"
        );
    }
}

#[test]
fn hash_identifier_dispatches_on_kind() {
    let email = hash_identifier(IdentifierKind::Email, Some("TEST@example.com")).unwrap();
    assert_eq!(email.as_str(), SHA256_OF_TEST_AT_EXAMPLE_COM);
    let id = "ab12cd34-ef56-7890-abcd-ef1234567890";
    let gaid = hash_identifier(IdentifierKind::Gaid, Some(id)).unwrap();
    let idfa = hash_identifier(IdentifierKind::Idfa, Some(id)).unwrap();
    assert_eq!(gaid, HashedIdentifier::of_normalized(id));
    assert_eq!(idfa, HashedIdentifier::of_normalized(&id.to_uppercase()));
    assert_ne!(gaid, idfa);
    assert_eq!(
        hash_identifier(IdentifierKind::Email, Some(id)),
        Err(ReasonCode::InvalidFormat)
    );
}

#[test]
fn check_identifier_agrees_with_hash_identifier() {
    let samples = [
        "a@b.co",
        "nope",
        "",
        "00000000-0000-0000-0000-000000000000",
        "ab12cd34-ef56-7890-abcd-ef1234567890",
    ];
    for &kind in IdentifierKind::ALL {
        for raw in samples {
            assert_eq!(
                check_identifier(kind, Some(raw)),
                hash_identifier(kind, Some(raw)).map(|_| ()),
                "{kind} {raw:?}"
            );
        }
    }
}

#[test]
fn debug_never_prints_the_identifier() {
    let email = Email::parse("secret.person@example.com").unwrap();
    let gaid = Gaid::parse("ab12cd34-ef56-7890-abcd-ef1234567890").unwrap();
    let idfa = Idfa::parse("ab12cd34-ef56-7890-abcd-ef1234567890").unwrap();
    assert_eq!(format!("{email:?}"), "Email(<redacted>)");
    assert_eq!(format!("{gaid:?}"), "Gaid(<redacted>)");
    assert_eq!(format!("{idfa:?}"), "Idfa(<redacted>)");
    assert!(!format!("{:?}", Some(&email)).contains("secret"));
}

#[test]
fn from_hex_accepts_only_64_lowercase_hex_characters() {
    let valid = SHA256_OF_TEST_AT_EXAMPLE_COM;
    assert_eq!(HashedIdentifier::from_hex(valid).unwrap().as_str(), valid);
    assert!(HashedIdentifier::from_hex(&valid.to_uppercase()).is_none());
    assert!(HashedIdentifier::from_hex(&valid[..63]).is_none());
    assert!(HashedIdentifier::from_hex(&format!("{valid}0")).is_none());
    assert!(HashedIdentifier::from_hex(&valid.replace('9', "g")).is_none());
    assert!(HashedIdentifier::from_hex("").is_none());
}

#[test]
fn hashed_identifiers_serialize_as_their_hex_and_reject_bad_hex_on_read() {
    let hashed = HashedIdentifier::of_normalized("test@example.com");
    let json = serde_json::to_string(&hashed).unwrap();
    assert_eq!(json, format!("\"{SHA256_OF_TEST_AT_EXAMPLE_COM}\""));
    let back: HashedIdentifier = serde_json::from_str(&json).unwrap();
    assert_eq!(back, hashed);
    assert!(serde_json::from_str::<HashedIdentifier>("\"ABC\"").is_err());
}

#[test]
fn identifier_kinds_have_stable_names() {
    for &kind in IdentifierKind::ALL {
        let serde_name = serde_json::to_value(kind).unwrap();
        assert_eq!(
            serde_name,
            serde_json::Value::String(kind.as_str().to_owned())
        );
        assert_eq!(IdentifierKind::parse(kind.as_str()), Some(kind));
    }
    let names: Vec<&str> = IdentifierKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    assert_eq!(names, ["email", "gaid", "idfa"]);
}
