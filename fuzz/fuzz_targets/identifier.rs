//! Fuzzes identifier parsing (email, GAID, IDFA) and `hash_identifier`: parsing never
//! panics, normalizing is idempotent, surrounding whitespace changes nothing, the hash is
//! the SHA-256 of the normalized form, and `Debug` never shows the value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pinsync_core::identifier::{
    Email, Gaid, HashedIdentifier, IdentifierKind, Idfa, MAX_EMAIL_CHARS, check_identifier,
    hash_identifier,
};
use pinsync_core::reason::ReasonCode;

fuzz_target!(|raw: &str| {
    check_email(raw);
    check_advertising_ids(raw);
    for &kind in IdentifierKind::ALL {
        check_hash_agrees_with_parse(kind, raw);
    }
});

fn check_email(raw: &str) {
    let padded = format!(" \t{raw}\n ");
    assert_eq!(Email::parse(raw).ok(), Email::parse(&padded).ok());
    match Email::parse(raw) {
        Ok(email) => {
            let normalized = email.as_str();
            assert_eq!(
                Email::parse(normalized).ok(),
                Some(email.clone()),
                "not idempotent"
            );
            assert_eq!(normalized, normalized.to_lowercase());
            assert_eq!(normalized.matches('@').count(), 1);
            assert!(
                !normalized
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control())
            );
            assert!(normalized.chars().count() <= MAX_EMAIL_CHARS);
            assert!(!format!("{email:?}").contains(normalized));
        }
        Err(reason) => assert_blank_means_missing(raw, reason),
    }
}

fn check_advertising_ids(raw: &str) {
    let (gaid, idfa) = (Gaid::parse(raw), Idfa::parse(raw));
    assert_eq!(
        gaid.is_ok(),
        idfa.is_ok(),
        "GAID and IDFA accept the same UUIDs"
    );
    match (gaid, idfa) {
        (Ok(gaid), Ok(idfa)) => {
            assert_eq!(Gaid::parse(gaid.as_str()).ok(), Some(gaid.clone()));
            assert_eq!(Idfa::parse(idfa.as_str()).ok(), Some(idfa.clone()));
            assert_eq!(gaid.as_str().len(), 36);
            assert_eq!(gaid.as_str(), gaid.as_str().to_ascii_lowercase());
            assert_eq!(idfa.as_str(), idfa.as_str().to_ascii_uppercase());
            assert!(gaid.as_str().eq_ignore_ascii_case(idfa.as_str()));
            assert!(!format!("{gaid:?}{idfa:?}").contains(gaid.as_str()));
            assert!(!format!("{gaid:?}{idfa:?}").contains(idfa.as_str()));
        }
        (Err(gaid_reason), Err(idfa_reason)) => {
            assert_eq!(gaid_reason, idfa_reason);
            assert_blank_means_missing(raw, gaid_reason);
        }
        _ => unreachable!("checked above"),
    }
}

fn check_hash_agrees_with_parse(kind: IdentifierKind, raw: &str) {
    let hashed = hash_identifier(kind, Some(raw));
    let normalized = match kind {
        IdentifierKind::Email => Email::parse(raw).map(|id| id.as_str().to_owned()),
        IdentifierKind::Gaid => Gaid::parse(raw).map(|id| id.as_str().to_owned()),
        IdentifierKind::Idfa => Idfa::parse(raw).map(|id| id.as_str().to_owned()),
    };
    assert_eq!(
        check_identifier(kind, Some(raw)),
        normalized.as_ref().map(drop).map_err(|r| *r)
    );
    match (hashed, normalized) {
        (Ok(hash), Ok(normalized)) => {
            assert_eq!(hash, HashedIdentifier::of_normalized(&normalized));
            assert_eq!(
                HashedIdentifier::from_hex(hash.as_str()),
                Some(hash.clone())
            );
            assert_ne!(
                hash.as_str(),
                normalized,
                "the value is hashed, not passed through"
            );
        }
        (Err(hash_reason), Err(parse_reason)) => assert_eq!(hash_reason, parse_reason),
        (hashed, normalized) => panic!("hash {hashed:?} disagrees with parse {normalized:?}"),
    }
}

fn assert_blank_means_missing(raw: &str, reason: ReasonCode) {
    assert_eq!(
        raw.trim().is_empty(),
        reason == ReasonCode::Missing,
        "{reason:?}"
    );
}
