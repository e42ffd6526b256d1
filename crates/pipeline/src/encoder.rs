//! The encoder stage: planned records → the body of one customer-list PATCH, refusing
//! anything that is not a lowercase SHA-256 digest.

use pinsync_core::canvas::SyncAction;
use pinsync_core::sync::batch_plan::is_sha256_hex;
use pinsync_pinterest::models::{ListOperation, Records, UpdateCustomerList};

/// A record that is not a hashed identifier reached the encoder; nothing is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("record {index} of the batch is not a lowercase sha-256 digest")]
pub struct NotHashed {
    pub index: usize,
}

/// Builds the PATCH body: ADD or REMOVE, the records comma-joined.
pub(crate) fn encode(
    action: SyncAction,
    records: &[String],
) -> Result<UpdateCustomerList, NotHashed> {
    if let Some(index) = records.iter().position(|record| !is_sha256_hex(record)) {
        return Err(NotHashed { index });
    }
    let operation_type = match action {
        SyncAction::Add => ListOperation::Add,
        SyncAction::Remove => ListOperation::Remove,
    };
    Ok(UpdateCustomerList {
        operation_type,
        records: Records::join(records),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digests_are_encoded() {
        let digest = "0".repeat(64);
        let body = encode(SyncAction::Remove, &[digest.clone(), digest.clone()]).unwrap();
        assert_eq!(body.operation_type, ListOperation::Remove);
        assert_eq!(body.records.count(), 2);
        let refused = encode(SyncAction::Add, &[digest, "someone@example.com".into()]);
        assert_eq!(refused.unwrap_err(), NotHashed { index: 1 });
    }
}
