//! The work measured by the `hashing` scenario and the criterion benches (which include this
//! file): raw identifiers as customers send them (mixed case, stray spaces), normalized and
//! hashed with pinsync-core, and the PATCH body of 1,900 digests as the pipeline encodes it.

use pinsync_core::identifier::{HashedIdentifier, IdentifierKind, hash_identifier};
use pinsync_core::sync::batch_plan::is_sha256_hex;
use pinsync_pinterest::models::{ListOperation, Records, UpdateCustomerList};

/// Records in one customer-list PATCH (Pinterest's limit).
pub const RECORDS_PER_REQUEST: usize = 1_900;

/// `count` raw identifiers of `kind`, distinct, as a customer's import would hold them.
pub fn raw_identifiers(kind: IdentifierKind, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| match kind {
            IdentifierKind::Email => format!("  Customer.{i}@Example-Shop.COM "),
            IdentifierKind::Gaid => uuid_text(i as u64, false),
            IdentifierKind::Idfa => uuid_text(i as u64, true),
        })
        .collect()
}

/// A non-zero UUID built from `n`, upper- or lowercase.
fn uuid_text(n: u64, upper: bool) -> String {
    let value = u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) | 1;
    let hex = format!("{value:032x}");
    let text = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    if upper { text.to_uppercase() } else { text }
}

/// Normalize and hash one raw identifier; panics on a workload value pinsync refuses.
pub fn hash_one(kind: IdentifierKind, raw: &str) -> HashedIdentifier {
    match hash_identifier(kind, Some(raw)) {
        Ok(hashed) => hashed,
        Err(reason) => panic!("the {kind:?} workload holds an identifier refused as {reason:?}"),
    }
}

/// `RECORDS_PER_REQUEST` digests, as claimed from the queue.
pub fn digests() -> Vec<String> {
    raw_identifiers(IdentifierKind::Email, RECORDS_PER_REQUEST)
        .iter()
        .map(|raw| hash_one(IdentifierKind::Email, raw).as_str().to_owned())
        .collect()
}

/// The pipeline's encoder stage on `records`: check each is a digest, join them, and
/// serialize the PATCH body. Returns the body's length.
pub fn encode_body(records: &[String]) -> usize {
    assert!(records.iter().all(|record| is_sha256_hex(record)));
    let body = UpdateCustomerList {
        operation_type: ListOperation::Add,
        records: Records::join(records),
    };
    serde_json::to_vec(&body).map_or(0, |bytes| bytes.len())
}
