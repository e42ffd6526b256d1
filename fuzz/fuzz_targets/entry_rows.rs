//! Fuzzes the bulk-entry row parser (NDJSON lines and CSV records, `pinsync-engine`'s
//! `bulk_rows`), fed line by line as `BulkEntry` feeds it. No row panics; an accepted row
//! has a usable external id, every identifier is stored as the hash `hash_identifier`
//! gives or the reason it refuses it, and CSV cells survive quoting without loss.
//!
//! `bulk_rows` is crate-private to the engine, so it is compiled into this crate from its
//! source file: the code fuzzed is the code that runs.

#![no_main]

#[allow(dead_code)]
#[path = "../../crates/engine/src/bulk_rows.rs"]
mod bulk_rows;

use bulk_rows::{CsvHeader, MAX_EXTERNAL_ID_CHARS, parse_ndjson, split_csv};
use libfuzzer_sys::fuzz_target;
use pinsync_core::identifier::{IdentifierKind, hash_identifier};
use pinsync_core::reason::ReasonCode;
use pinsync_store::{EntryCandidate, FieldUpdate, StoredIdentifier};

fuzz_target!(|body: &[u8]| {
    let Some((&format, body)) = body.split_first() else {
        return;
    };
    let lines = body
        .split(|&b| b == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.trim().is_empty());
    if format % 2 == 0 {
        for line in lines {
            check_ndjson_line(line);
        }
    } else {
        check_csv_body(lines);
    }
});

fn check_ndjson_line(line: &str) {
    let Ok(candidate) = parse_ndjson(line) else {
        return;
    };
    check_candidate(&candidate);
    let object: serde_json::Value = serde_json::from_str(line).expect("an accepted row is JSON");
    assert_eq!(
        object["external_user_id"].as_str(),
        Some(candidate.user.external_id.as_str())
    );
    for (kind, update) in identifier_updates(&candidate) {
        let expected = match object.get(kind.as_str()) {
            None => FieldUpdate::Keep,
            Some(serde_json::Value::Null) => FieldUpdate::Clear,
            Some(value) => FieldUpdate::Set(stored(kind, value.as_str().expect("a string"))),
        };
        assert_eq!(update, &expected, "{kind} stored wrongly");
    }
    let attributes = object.get("attributes").and_then(|a| a.as_object());
    assert_eq!(
        attributes.cloned().unwrap_or_default(),
        candidate.user.attributes
    );
}

fn check_csv_body<'a>(mut lines: impl Iterator<Item = &'a str>) {
    let Some(header_line) = lines.next() else {
        return;
    };
    check_csv_quoting(header_line);
    let header = CsvHeader::parse(header_line);
    let names = split_csv(header_line).unwrap_or_default();
    for line in lines {
        check_csv_quoting(line);
        let Ok(header) = &header else { continue };
        let Ok(candidate) = header.parse_row(line) else {
            continue;
        };
        check_candidate(&candidate);
        let cells = split_csv(line).expect("an accepted row splits");
        let last_cell = |name: &str| {
            let columns = names.iter().map(|n| n.trim()).zip(&cells).rev();
            columns
                .filter(|(n, cell)| *n == name && !cell.is_empty())
                .map(|(_, cell)| cell.as_str())
                .next()
        };
        assert_eq!(
            last_cell("external_user_id"),
            Some(candidate.user.external_id.as_str())
        );
        for (kind, update) in identifier_updates(&candidate) {
            let expected = last_cell(kind.as_str()).map(|raw| stored(kind, raw));
            assert_eq!(
                update,
                &expected.map_or(FieldUpdate::Keep, FieldUpdate::Set)
            );
        }
        for (name, value) in &candidate.user.attributes {
            assert_eq!(
                value.as_str(),
                last_cell(name),
                "attribute `{name}` changed"
            );
        }
        let attribute_columns = names.iter().map(|n| n.trim()).filter(|n| {
            IdentifierKind::parse(n).is_none()
                && !["external_user_id", "ad_tracking_enabled"].contains(n)
        });
        for name in attribute_columns {
            let kept = candidate.user.attributes.get(name).and_then(|v| v.as_str());
            assert_eq!(kept, last_cell(name), "attribute `{name}` lost");
        }
    }
}

/// Quoting every cell of a split record and splitting again gives the same cells.
fn check_csv_quoting(line: &str) {
    let Ok(cells) = split_csv(line) else {
        return;
    };
    let quoted: Vec<String> = cells
        .iter()
        .map(|cell| format!("\"{}\"", cell.replace('"', "\"\"")))
        .collect();
    assert_eq!(
        split_csv(&quoted.join(",")).as_ref(),
        Ok(&cells),
        "quoting lost a cell"
    );
}

fn check_candidate(candidate: &EntryCandidate) {
    let id = candidate.user.external_id.as_str();
    assert!(!id.trim().is_empty());
    assert!(id.chars().count() <= MAX_EXTERNAL_ID_CHARS);
    assert!(!id.chars().any(char::is_control));
    for (_, update) in identifier_updates(candidate) {
        if let FieldUpdate::Set(stored) = update {
            match &stored.sha256 {
                Some(hash) => {
                    assert_eq!(stored.status, "valid");
                    assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
                }
                None => assert!(ReasonCode::ALL.iter().any(|r| r.as_str() == stored.status)),
            }
        }
    }
    if let Some(properties) = &candidate.entry_properties {
        let value: serde_json::Value = serde_json::from_str(properties).expect("stored as JSON");
        assert!(value.is_object());
    }
}

fn identifier_updates(
    candidate: &EntryCandidate,
) -> [(IdentifierKind, &FieldUpdate<StoredIdentifier>); 3] {
    [
        (IdentifierKind::Email, &candidate.user.email),
        (IdentifierKind::Gaid, &candidate.user.gaid),
        (IdentifierKind::Idfa, &candidate.user.idfa),
    ]
}

/// What the store should hold for this raw value.
fn stored(kind: IdentifierKind, raw: &str) -> StoredIdentifier {
    match hash_identifier(kind, Some(raw)) {
        Ok(hash) => StoredIdentifier::valid(hash.as_str().to_owned()),
        Err(reason) => StoredIdentifier::rejected(reason.as_str()),
    }
}
