//! Properties of identifier parsing that hold for any input.

use pinsync_core::identifier::{
    Email, Gaid, HashedIdentifier, IdentifierKind, Idfa, hash_identifier,
};
use proptest::prelude::*;

fn is_lower_hex_digest(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn email_like() -> impl Strategy<Value = String> {
    "[ \t]{0,2}[A-Za-z0-9._%+-]{1,20}@[A-Za-z0-9-]{1,10}(\\.[A-Za-z0-9-]{1,10}){1,3}[ \t]{0,2}"
}

fn uuid_like() -> impl Strategy<Value = String> {
    "[ ]{0,2}[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}[ ]{0,2}"
}

proptest! {
    #[test]
    fn email_normalization_is_idempotent(raw in prop_oneof![email_like(), "\\PC*"]) {
        if let Ok(email) = Email::parse(&raw) {
            let again = Email::parse(email.as_str());
            prop_assert_eq!(again.as_ref().map(Email::as_str), Ok(email.as_str()));
        }
    }

    #[test]
    fn well_formed_emails_parse(raw in email_like()) {
        let email = Email::parse(&raw);
        prop_assert!(email.is_ok(), "{:?} rejected: {:?}", raw, email);
    }

    #[test]
    fn advertising_id_normalization_is_idempotent(raw in prop_oneof![uuid_like(), "\\PC*"]) {
        if let Ok(gaid) = Gaid::parse(&raw) {
            let again = Gaid::parse(gaid.as_str());
            prop_assert_eq!(again.as_ref().map(Gaid::as_str), Ok(gaid.as_str()));
            prop_assert_eq!(gaid.as_str(), gaid.as_str().to_ascii_lowercase());
        }
        if let Ok(idfa) = Idfa::parse(&raw) {
            let again = Idfa::parse(idfa.as_str());
            prop_assert_eq!(again.as_ref().map(Idfa::as_str), Ok(idfa.as_str()));
            prop_assert_eq!(idfa.as_str(), idfa.as_str().to_ascii_uppercase());
        }
    }

    #[test]
    fn gaid_and_idfa_accept_the_same_uuids(raw in uuid_like()) {
        let gaid = Gaid::parse(&raw);
        let idfa = Idfa::parse(&raw);
        prop_assert_eq!(gaid.is_ok(), idfa.is_ok());
        if let (Ok(gaid), Ok(idfa)) = (gaid, idfa) {
            prop_assert_eq!(gaid.as_str().to_ascii_uppercase(), idfa.as_str());
        }
    }

    #[test]
    fn hashing_is_stable_and_always_64_lowercase_hex(raw in prop_oneof![email_like(), uuid_like(), "\\PC*"]) {
        for &kind in IdentifierKind::ALL {
            let first = hash_identifier(kind, Some(&raw));
            let second = hash_identifier(kind, Some(&raw));
            prop_assert_eq!(&first, &second);
            if let Ok(hashed) = first {
                prop_assert!(is_lower_hex_digest(hashed.as_str()));
                prop_assert_eq!(HashedIdentifier::from_hex(hashed.as_str()), Some(hashed.clone()));
            }
        }
    }

    #[test]
    fn parsing_never_panics_on_any_printable_string(raw in "\\PC*") {
        for &kind in IdentifierKind::ALL {
            let _ = hash_identifier(kind, Some(&raw));
        }
    }

    #[test]
    fn parsing_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let raw = String::from_utf8_lossy(&bytes);
        for &kind in IdentifierKind::ALL {
            let _ = hash_identifier(kind, Some(&raw));
        }
    }

    #[test]
    fn of_normalized_always_gives_64_lowercase_hex(text in "\\PC*") {
        prop_assert!(is_lower_hex_digest(HashedIdentifier::of_normalized(&text).as_str()));
    }
}
