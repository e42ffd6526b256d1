//! Batch planning: which sync items of one partition go into the next audience write, and
//! which of their records are sent.
//!
//! Rules: items are taken in id order (the order users entered the step) and never reordered;
//! a request holds at most `max_records` records and no record twice; records the ledger says
//! are already members (for adds) or were overtaken by a later step are not sent; an item
//! that does not fit waits for the next request, with every item after it.

use std::collections::HashSet;

use super::ledger::{LedgerEntry, OpOrder, RecordDecision, decide_record};
use crate::canvas::SyncAction;

/// One claimed sync item, as planning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    pub item_id: i64,
    /// When (and in which journey and visit) the user entered the step.
    pub order: OpOrder,
    pub action: SyncAction,
    /// The item's hashed identifiers (for a remove, also every identifier the ledger says was
    /// added for the user), in preference order.
    pub records: Vec<String>,
}

/// Why an item is finished without any of its records being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// An add whose identifiers are all members already.
    AlreadyMember,
    /// Every record was overtaken by a later step's operation (or was applied by this very
    /// item before a restart).
    Superseded,
}

/// The next request of a partition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlannedBatch {
    /// The records to send, each once.
    pub records: Vec<String>,
    /// Items with at least one record in `records` (or whose records all are, by another
    /// item of this batch): they are finished by this request's outcome.
    pub sent_items: Vec<i64>,
    /// Items finished without sending anything.
    pub settled: Vec<(i64, Settled)>,
    /// Items left for a later request (they did not fit), in order.
    pub left_over: Vec<i64>,
}

/// Plans one request of `action` from `items` (in id order). `ledger` answers the ledger's
/// entry for a record. Items of another action stop the plan and are left over.
pub fn plan_batch(
    items: &[PlanItem],
    action: SyncAction,
    max_records: usize,
    ledger: impl Fn(&str) -> Option<LedgerEntry>,
) -> PlannedBatch {
    let max_records = max_records.max(1);
    let mut plan = PlannedBatch::default();
    let mut in_request: HashSet<&str> = HashSet::new();
    let mut stopped = false;
    for item in items {
        if stopped || item.action != action {
            stopped = true;
            plan.left_over.push(item.item_id);
            continue;
        }
        let mut fresh: Vec<&str> = Vec::new();
        let mut shared = false;
        let mut already_member = false;
        for record in &item.records {
            match decide_record(ledger(record), action, item.order) {
                RecordDecision::Send if in_request.contains(record.as_str()) => shared = true,
                RecordDecision::Send if !fresh.contains(&record.as_str()) => fresh.push(record),
                RecordDecision::Send => {}
                RecordDecision::AlreadyMember => already_member = true,
                RecordDecision::Superseded => {}
            }
        }
        if fresh.is_empty() && !shared {
            let settled = if already_member {
                Settled::AlreadyMember
            } else {
                Settled::Superseded
            };
            plan.settled.push((item.item_id, settled));
            continue;
        }
        if plan.records.len() + fresh.len() > max_records {
            if plan.records.is_empty() {
                // A single item larger than a request: send what fits; it cannot be split.
                fresh.truncate(max_records);
            } else {
                stopped = true;
                plan.left_over.push(item.item_id);
                continue;
            }
        }
        for record in fresh {
            in_request.insert(record);
            plan.records.push(record.to_owned());
        }
        plan.sent_items.push(item.item_id);
    }
    plan
}

/// Whether a partition's pending work should be sent now: it holds a full request, its
/// oldest user entered the step `flush_interval_ms` ago or more, or it holds retries that
/// are due (their delay was already waited in data).
pub fn flush_due(
    pending_records: u64,
    oldest_entered_at: i64,
    holds_due_retries: bool,
    now: i64,
    flush_interval_ms: i64,
    max_records: u64,
) -> bool {
    holds_due_retries
        || pending_records >= max_records
        || now.saturating_sub(oldest_entered_at) >= flush_interval_ms
}

/// Whether `record` is a lowercase hex SHA-256 digest, the only form pinsync sends.
pub fn is_sha256_hex(record: &str) -> bool {
    record.len() == 64
        && record
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::ledger::MembershipState;

    fn item(item_id: i64, action: SyncAction, records: &[&str]) -> PlanItem {
        PlanItem {
            item_id,
            order: OpOrder::new(item_id, 1, 0),
            action,
            records: records.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn no_ledger(_: &str) -> Option<LedgerEntry> {
        None
    }

    #[test]
    fn a_request_never_holds_a_record_twice_and_stops_at_the_maximum() {
        let items = [
            item(1, SyncAction::Add, &["a", "b"]),
            item(2, SyncAction::Add, &["b"]),
            item(3, SyncAction::Add, &["c", "d"]),
            item(4, SyncAction::Add, &["e"]),
        ];
        let plan = plan_batch(&items, SyncAction::Add, 3, no_ledger);
        assert_eq!(plan.records, ["a", "b"]);
        assert_eq!(plan.sent_items, [1, 2]);
        assert_eq!(plan.left_over, [3, 4]);
        assert!(plan.settled.is_empty());
    }

    #[test]
    fn members_are_not_sent_again_and_later_steps_win() {
        let ledger = |record: &str| match record {
            "member" => Some(LedgerEntry {
                state: MembershipState::Member,
                last_op: OpOrder::new(1, 1, 0),
            }),
            "removed_later" => Some(LedgerEntry {
                state: MembershipState::Removed,
                last_op: OpOrder::new(99, 1, 0),
            }),
            _ => None,
        };
        let items = [
            item(10, SyncAction::Add, &["member"]),
            item(11, SyncAction::Add, &["removed_later"]),
            item(12, SyncAction::Add, &["member", "new"]),
        ];
        let plan = plan_batch(&items, SyncAction::Add, 1_900, ledger);
        assert_eq!(plan.records, ["new"]);
        assert_eq!(plan.sent_items, [12]);
        assert_eq!(
            plan.settled,
            [(10, Settled::AlreadyMember), (11, Settled::Superseded)]
        );
    }

    #[test]
    fn an_item_of_the_other_action_ends_the_request() {
        let items = [
            item(1, SyncAction::Remove, &["a"]),
            item(2, SyncAction::Add, &["b"]),
            item(3, SyncAction::Remove, &["c"]),
        ];
        let plan = plan_batch(&items, SyncAction::Remove, 10, no_ledger);
        assert_eq!(plan.records, ["a"]);
        assert_eq!(plan.left_over, [2, 3]);
    }

    #[test]
    fn a_partition_flushes_when_full_old_enough_or_retrying() {
        assert!(!flush_due(10, 1_000, false, 5_999, 5_000, 1_900));
        assert!(flush_due(10, 1_000, false, 6_000, 5_000, 1_900));
        assert!(flush_due(1_900, 1_000, false, 1_001, 5_000, 1_900));
        assert!(flush_due(1, 1_000, true, 1_001, 5_000, 1_900));
    }

    #[test]
    fn only_lowercase_sha256_hex_passes_the_record_check() {
        let digest = "a".repeat(64);
        assert!(is_sha256_hex(&digest));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex(&"a".repeat(63)));
        assert!(!is_sha256_hex("someone@example.com"));
    }
}
