//! The membership ledger's state machine: per (audience, hashed identifier) what pinsync last
//! applied on Pinterest, and by which sync item, so that re-adds are not re-sent and a late
//! operation never overrides a later step's one.
//!
//! "Later" is [`OpOrder`]: when the user entered the step, then the journey and the visit
//! (sync item ids are not used: SQLite reuses the id of a deleted last row).

use crate::canvas::SyncAction;

/// What pinsync last did to one identifier in one audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MembershipState {
    /// Added and not removed since.
    Member,
    /// Removed (or never added by pinsync, when a remove is applied first).
    Removed,
}

impl MembershipState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipState::Member => "member",
            MembershipState::Removed => "removed",
        }
    }

    /// The state with this stored name, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(MembershipState::Member),
            "removed" => Some(MembershipState::Removed),
            _ => None,
        }
    }

    /// The state an applied operation leaves behind.
    pub fn after(action: SyncAction) -> Self {
        match action {
            SyncAction::Add => MembershipState::Member,
            SyncAction::Remove => MembershipState::Removed,
        }
    }
}

/// The order of step entries: by entry time, then journey (ids only grow), then the visit
/// within the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct OpOrder {
    pub entered_at: i64,
    pub journey_id: i64,
    pub visit_seq: i64,
}

impl OpOrder {
    pub fn new(entered_at: i64, journey_id: i64, visit_seq: i64) -> Self {
        Self {
            entered_at,
            journey_id,
            visit_seq,
        }
    }
}

/// One ledger row: the state and the step entry whose operation set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerEntry {
    pub state: MembershipState,
    /// The step entry whose operation was applied last.
    pub last_op: OpOrder,
}

/// What to do with one record of one sync item, given the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordDecision {
    /// Send it.
    Send,
    /// An add of an identifier that is a member already: do not send it again.
    AlreadyMember,
    /// A later step's operation was applied already (or this very item's, before a crash):
    /// sending this one would undo it, or repeat it, so skip it.
    Superseded,
}

/// Decides one record of the step entry `op` doing `action`, given the ledger's entry for it.
pub fn decide_record(
    entry: Option<LedgerEntry>,
    action: SyncAction,
    op: OpOrder,
) -> RecordDecision {
    let Some(entry) = entry else {
        return RecordDecision::Send;
    };
    if entry.last_op >= op {
        return RecordDecision::Superseded;
    }
    match (action, entry.state) {
        (SyncAction::Add, MembershipState::Member) => RecordDecision::AlreadyMember,
        _ => RecordDecision::Send,
    }
}

/// The entry after Pinterest acknowledged `action` of `op`, or `None` when the
/// acknowledgement is older than what the ledger holds (the ledger never goes backwards).
pub fn after_acknowledged(
    entry: Option<LedgerEntry>,
    action: SyncAction,
    op: OpOrder,
) -> Option<LedgerEntry> {
    if entry.is_some_and(|entry| entry.last_op >= op) {
        return None;
    }
    Some(LedgerEntry {
        state: MembershipState::after(action),
        last_op: op,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(entered_at: i64) -> OpOrder {
        OpOrder::new(entered_at, 1, 0)
    }

    fn entry(state: MembershipState, entered_at: i64) -> Option<LedgerEntry> {
        Some(LedgerEntry {
            state,
            last_op: op(entered_at),
        })
    }

    #[test]
    fn records_are_decided_by_the_ledger_and_the_item_order() {
        use MembershipState::{Member, Removed};
        use RecordDecision::{AlreadyMember, Send, Superseded};
        use SyncAction::{Add, Remove};
        let table = [
            (None, Add, 5, Send),
            (None, Remove, 5, Send),
            (entry(Member, 3), Add, 5, AlreadyMember),
            (entry(Member, 3), Remove, 5, Send),
            (entry(Removed, 3), Add, 5, Send),
            (entry(Removed, 3), Remove, 5, Send),
            (entry(Removed, 9), Add, 5, Superseded),
            (entry(Member, 9), Remove, 5, Superseded),
            (entry(Member, 5), Add, 5, Superseded),
        ];
        for (ledger, action, item, expected) in table {
            assert_eq!(
                decide_record(ledger, action, op(item)),
                expected,
                "{ledger:?} {action:?} item {item}"
            );
        }
    }

    #[test]
    fn an_acknowledgement_never_moves_the_ledger_backwards() {
        let newer = entry(MembershipState::Removed, 9);
        assert_eq!(after_acknowledged(newer, SyncAction::Add, op(5)), None);
        assert_eq!(
            after_acknowledged(newer, SyncAction::Add, op(12)),
            entry(MembershipState::Member, 12)
        );
        assert_eq!(
            after_acknowledged(None, SyncAction::Remove, op(1)),
            entry(MembershipState::Removed, 1)
        );
    }

    #[test]
    fn entries_are_ordered_by_time_then_journey_then_visit() {
        let a = OpOrder::new(10, 7, 3);
        assert!(a < OpOrder::new(11, 1, 0));
        assert!(a < OpOrder::new(10, 8, 0));
        assert!(a < OpOrder::new(10, 7, 4));
    }
}
