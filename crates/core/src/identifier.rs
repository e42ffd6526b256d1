//! Identifiers matched against Pinterest audiences (email, GAID, IDFA): parsing into
//! normalized newtypes, and SHA-256 hashing of the normalized form. Parse, don't validate.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::reason::ReasonCode;

/// The longest email address accepted, in characters (RFC 5321's path limit minus brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// The kinds of identifier a step can match users on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// An email address.
    Email,
    /// A Google advertising ID (Android), a UUID.
    Gaid,
    /// An Apple identifier for advertisers (iOS), a UUID.
    Idfa,
}

impl IdentifierKind {
    /// Every identifier kind, in declaration order.
    pub const ALL: &'static [IdentifierKind] = &[
        IdentifierKind::Email,
        IdentifierKind::Gaid,
        IdentifierKind::Idfa,
    ];

    /// The stable snake_case name, identical to the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Email => "email",
            IdentifierKind::Gaid => "gaid",
            IdentifierKind::Idfa => "idfa",
        }
    }

    /// The identifier kind with this snake_case name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        IdentifierKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == s)
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalized email address: trimmed, lowercased, one `@`, a dotted domain.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// A normalized Google advertising ID: a non-zero UUID in lowercase.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Gaid(String);

/// A normalized Apple advertising ID: a non-zero UUID in uppercase.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Idfa(String);

/// The SHA-256 digest of a normalized identifier, as 64 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HashedIdentifier(String);

impl Email {
    /// Parse a raw email address into its normalized form.
    pub fn parse(raw: &str) -> Result<Self, ReasonCode> {
        let trimmed = non_blank(raw)?;
        reject_hex_digest(trimmed)?;
        let normalized = trimmed.to_lowercase();
        if normalized.chars().count() > MAX_EMAIL_CHARS {
            return Err(ReasonCode::TooLong);
        }
        if !is_well_formed_email(&normalized) {
            return Err(ReasonCode::InvalidFormat);
        }
        Ok(Email(normalized))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 digest of the normalized address.
    pub fn hashed(&self) -> HashedIdentifier {
        HashedIdentifier::of_normalized(&self.0)
    }
}

impl Gaid {
    /// Parse a raw GAID (a UUID in any case) into its lowercase form.
    pub fn parse(raw: &str) -> Result<Self, ReasonCode> {
        parse_advertising_uuid(raw).map(|uuid| Gaid(uuid.to_ascii_lowercase()))
    }

    /// The normalized, lowercase GAID.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 digest of the normalized GAID.
    pub fn hashed(&self) -> HashedIdentifier {
        HashedIdentifier::of_normalized(&self.0)
    }
}

impl Idfa {
    /// Parse a raw IDFA (a UUID in any case) into its uppercase form.
    pub fn parse(raw: &str) -> Result<Self, ReasonCode> {
        parse_advertising_uuid(raw).map(|uuid| Idfa(uuid.to_ascii_uppercase()))
    }

    /// The normalized, uppercase IDFA.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 digest of the normalized IDFA.
    pub fn hashed(&self) -> HashedIdentifier {
        HashedIdentifier::of_normalized(&self.0)
    }
}

/// Debug never prints the value: identifiers are personal data and end up in logs.
macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    )*};
}
redacted_debug!(Email, Gaid, Idfa);

impl HashedIdentifier {
    /// Hash an already-normalized identifier. Callers normally use `Email::hashed` and friends.
    pub fn of_normalized(normalized: &str) -> Self {
        HashedIdentifier(hex::encode(Sha256::digest(normalized.as_bytes())))
    }

    /// The digest as 64 lowercase hex characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Accept a digest read back from storage: exactly 64 lowercase hex characters.
    pub fn from_hex(s: &str) -> Option<Self> {
        let is_lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        (s.len() == 64 && s.bytes().all(is_lower_hex)).then(|| HashedIdentifier(s.to_owned()))
    }
}

impl Serialize for HashedIdentifier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HashedIdentifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HashedIdentifier::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 64 lowercase hex characters"))
    }
}

/// Parse an optional raw value of the given kind and hash it. None or blank → `Missing`.
pub fn hash_identifier(
    kind: IdentifierKind,
    raw: Option<&str>,
) -> Result<HashedIdentifier, ReasonCode> {
    let raw = raw.ok_or(ReasonCode::Missing)?;
    match kind {
        IdentifierKind::Email => Email::parse(raw).map(|email| email.hashed()),
        IdentifierKind::Gaid => Gaid::parse(raw).map(|gaid| gaid.hashed()),
        IdentifierKind::Idfa => Idfa::parse(raw).map(|idfa| idfa.hashed()),
    }
}

/// Check without hashing (for showing a profile): `Ok(())` or the reason it is unusable.
pub fn check_identifier(kind: IdentifierKind, raw: Option<&str>) -> Result<(), ReasonCode> {
    let raw = raw.ok_or(ReasonCode::Missing)?;
    match kind {
        IdentifierKind::Email => Email::parse(raw).map(drop),
        IdentifierKind::Gaid => Gaid::parse(raw).map(drop),
        IdentifierKind::Idfa => Idfa::parse(raw).map(drop),
    }
}

/// The trimmed value, or `Missing` when nothing is left.
fn non_blank(raw: &str) -> Result<&str, ReasonCode> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ReasonCode::Missing);
    }
    Ok(trimmed)
}

/// `AlreadyHashed` when the value looks like an MD5, SHA-1 or SHA-256 hex digest.
fn reject_hex_digest(trimmed: &str) -> Result<(), ReasonCode> {
    let is_digest_length = matches!(trimmed.len(), 32 | 40 | 64);
    if is_digest_length && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ReasonCode::AlreadyHashed);
    }
    Ok(())
}

/// Characters that are never allowed unquoted in the local part of an address.
const LOCAL_PART_SPECIALS: &[char] = &['(', ')', '<', '>', '[', ']', ',', ';', ':', '\\', '"'];

fn is_well_formed_email(normalized: &str) -> bool {
    let Some((local, domain)) = normalized.split_once('@') else {
        return false;
    };
    let is_forbidden_anywhere = |c: char| c.is_whitespace() || c.is_control();
    if local.is_empty() || local.chars().any(|c| is_forbidden_anywhere(c) || c == '@') {
        return false;
    }
    if local.contains(LOCAL_PART_SPECIALS) {
        return false;
    }
    let is_domain_char = |c: char| c.is_alphanumeric() || c == '-';
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && label.chars().all(is_domain_char))
}

/// The trimmed UUID (8-4-4-4-12 hex digits), rejecting blanks, digests and the zero UUID.
fn parse_advertising_uuid(raw: &str) -> Result<&str, ReasonCode> {
    let trimmed = non_blank(raw)?;
    reject_hex_digest(trimmed)?;
    if !is_uuid_shape(trimmed) {
        return Err(ReasonCode::InvalidFormat);
    }
    if trimmed.bytes().all(|b| b == b'0' || b == b'-') {
        return Err(ReasonCode::ZeroId);
    }
    Ok(trimmed)
}

fn is_uuid_shape(text: &str) -> bool {
    const GROUP_LENGTHS: [usize; 5] = [8, 4, 4, 4, 12];
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == GROUP_LENGTHS.len()
        && groups
            .iter()
            .zip(GROUP_LENGTHS)
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}
