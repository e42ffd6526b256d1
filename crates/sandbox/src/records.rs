//! Classification of the comma-separated `records` string of a customer-list call: lowercase
//! plain email, or MD5 / SHA-1 / SHA-256 hex; anything else is invalid.

/// What one record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    PlainEmail,
    Md5,
    Sha1,
    Sha256,
}

use std::borrow::Cow;

/// The records of one request, split into valid (normalized) ones and a count of invalid ones.
/// Records borrow from the request body unless they had to be lowercased.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedRecords<'a> {
    /// Valid records; hex digests lowercased, emails as sent. Duplicates are kept.
    pub valid: Vec<Cow<'a, str>>,
    pub invalid: usize,
}

impl ParsedRecords<'_> {
    /// Every non-empty element, valid or not.
    pub fn total(&self) -> usize {
        self.valid.len() + self.invalid
    }
}

/// Classifies one trimmed, non-empty record.
pub fn classify(record: &str) -> Option<RecordKind> {
    if record.contains('@') {
        return is_lowercase_email(record).then_some(RecordKind::PlainEmail);
    }
    if !record.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match record.len() {
        32 => Some(RecordKind::Md5),
        40 => Some(RecordKind::Sha1),
        64 => Some(RecordKind::Sha256),
        _ => None,
    }
}

fn is_lowercase_email(record: &str) -> bool {
    let Some((local, domain)) = record.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && record
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_uppercase() && c != ',')
}

/// Splits on `,`, trims whitespace, drops empty elements (so a trailing comma is fine) and
/// classifies the rest.
pub fn parse_records(records: &str) -> ParsedRecords<'_> {
    let mut parsed = ParsedRecords::default();
    for element in records.split(',') {
        let record = element.trim();
        if record.is_empty() {
            continue;
        }
        match classify(record) {
            Some(RecordKind::PlainEmail) => parsed.valid.push(Cow::Borrowed(record)),
            Some(_) if record.bytes().any(|b| b.is_ascii_uppercase()) => {
                parsed.valid.push(Cow::Owned(record.to_ascii_lowercase()));
            }
            Some(_) => parsed.valid.push(Cow::Borrowed(record)),
            None => parsed.invalid += 1,
        }
    }
    parsed
}

/// Counts non-empty elements without allocating, to reject oversized requests cheaply.
pub fn count_records(records: &str) -> usize {
    records.split(',').filter(|e| !e.trim().is_empty()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_recognised_by_its_shape() {
        let cases = [
            ("a@example.com", Some(RecordKind::PlainEmail)),
            ("A@example.com", None),
            ("no-at-sign.com", None),
            ("a@nodot", None),
            (&"0123456789abcdef".repeat(2) as &str, Some(RecordKind::Md5)),
            (
                &"0123456789abcdef".repeat(4) as &str,
                Some(RecordKind::Sha256),
            ),
            (
                &format!("{}{}", "0123456789abcdef".repeat(2), "01234567") as &str,
                Some(RecordKind::Sha1),
            ),
            (
                &"0123456789ABCDEF".repeat(4) as &str,
                Some(RecordKind::Sha256),
            ),
            (&"g123456789abcdef".repeat(4) as &str, None),
            ("abc", None),
        ];
        for (record, expected) in cases {
            assert_eq!(classify(record), expected, "{record}");
        }
    }

    #[test]
    fn trailing_commas_and_spaces_are_tolerated_and_hex_is_lowercased() {
        let upper = "ABCDEF0123456789".repeat(2);
        let input = format!(" a@example.com , {upper},,bad,");
        let parsed = parse_records(&input);
        assert_eq!(
            parsed.valid,
            vec![
                Cow::Borrowed("a@example.com"),
                Cow::Owned(upper.to_ascii_lowercase())
            ]
        );
        assert_eq!(parsed.invalid, 1);
        assert_eq!(count_records(" a@example.com , x,,bad,"), 3);
    }
}
