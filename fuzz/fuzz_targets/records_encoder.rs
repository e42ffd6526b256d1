//! Fuzzes the records encoder the way the pipeline feeds it: raw identifiers are hashed,
//! only lowercase SHA-256 digests pass the encoder's guard (`is_sha256_hex`), and
//! `Records::join` makes the wire string. A record that encodes never contains a comma or
//! a raw `@`, the wire string splits back into exactly the records, in order, and neither
//! `Debug` nor the count leaks or loses one.

#![no_main]

// The wire types are compiled in from their source files, not through `pinsync-pinterest`,
// so that the fuzz build does not need the HTTP client and its TLS stack.
#[allow(dead_code)]
#[path = "../../crates/pinterest/src/models.rs"]
mod models;
#[allow(dead_code)]
#[path = "../../crates/pinterest/src/secret.rs"]
mod secret;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use models::{ListOperation, Records, UpdateCustomerList};
use pinsync_core::identifier::{IdentifierKind, hash_identifier};
use pinsync_core::sync::batch_plan::is_sha256_hex;

#[derive(Debug, Arbitrary)]
struct Batch {
    /// Raw identifiers as users send them, each with the kind it is read as.
    raw: Vec<(u8, String)>,
    /// Strings that reach the encoder's guard directly (digests or not).
    unchecked: Vec<String>,
}

fuzz_target!(|batch: Batch| {
    let hashed: Vec<String> = batch
        .raw
        .iter()
        .filter_map(|(kind, raw)| {
            let kind = IdentifierKind::ALL[usize::from(*kind) % IdentifierKind::ALL.len()];
            hash_identifier(kind, Some(raw)).ok()
        })
        .map(|hash| hash.as_str().to_owned())
        .collect();
    for record in &hashed {
        assert!(is_sha256_hex(record), "hash_identifier made a non-digest");
    }
    let guarded: Vec<String> = batch
        .unchecked
        .into_iter()
        .filter(|record| is_sha256_hex(record))
        .collect();
    for record in batch.raw.iter().map(|(_, raw)| raw) {
        if record.contains(['@', ',']) {
            assert!(
                !is_sha256_hex(record),
                "the guard let a raw identifier through"
            );
        }
    }
    let records: Vec<String> = hashed.into_iter().chain(guarded).collect();
    check_encoding(&records);
});

fn check_encoding(records: &[String]) {
    let encoded = Records::join(records);
    let wire = encoded.as_wire_str().to_owned();
    assert!(!wire.contains('@'), "a raw email reached the wire");
    assert_eq!(encoded.count(), records.len());
    if records.is_empty() {
        assert_eq!(wire, "");
    } else {
        let split: Vec<&str> = wire.split(',').collect();
        assert_eq!(
            split, records,
            "the wire string does not split back into the records"
        );
    }
    let debug = format!("{encoded:?}");
    assert!(
        records
            .iter()
            .all(|record| !debug.contains(record.as_str()))
    );

    let body = UpdateCustomerList {
        operation_type: ListOperation::Add,
        records: encoded,
    };
    let json: serde_json::Value = serde_json::to_value(&body).expect("the body serializes");
    assert_eq!(
        json["records"].as_str(),
        Some(wire.as_str()),
        "records are one string on the wire"
    );
}
