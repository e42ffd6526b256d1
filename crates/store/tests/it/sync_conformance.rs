//! The sync pipeline's part of the conformance suite: due partitions, leased claims,
//! attempts with stored retry times, and the membership ledger, for every backend.

use pinsync_core::canvas::{CanvasDefinition, StepId};
use pinsync_core::identifier::IdentifierKind;
use pinsync_core::reason::ReasonCode;
use pinsync_core::sync::ledger::{LedgerEntry, MembershipState, OpOrder};
use pinsync_store::sync::{
    AttemptRecord, BatchSettlement, ClaimRequest, DUE_ITEMS_COUNTED, LedgerWrite,
};
use pinsync_store::{
    CanvasId, CanvasStatus, CompletionReport, EntryCandidate, FieldUpdate, Store, StoredIdentifier,
    SyncDetail, SyncItemId, SyncOutcome, UserUpsert, WorkspaceId,
};

/// Stamps out one `#[tokio::test]` per sync conformance test for a backend.
#[macro_export]
macro_rules! sync_conformance_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            $crate::sync_conformance_suite!(@tests $make;
                entered_users_show_up_as_one_due_partition,
                each_partition_is_counted_up_to_a_full_request,
                a_claim_is_a_lease_that_expires,
                a_retry_stores_its_next_attempt_time_and_counts_the_attempt,
                the_ledger_never_moves_backwards,
                ledger_members_are_listed_per_user,
                items_past_the_horizon_are_found,
                a_settled_batch_writes_ledger_attempts_and_outcomes,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::sync_conformance::$name(&*fixture).await;
            }
        )*
    };
}

const T0: i64 = 1_700_000_000_000;

fn digest(n: u32) -> String {
    format!("{n:064x}")
}

/// An active Canvas whose entry step adds users to an existing audience by email.
async fn canvas_with_users(store: &dyn Store, users: u32) -> (WorkspaceId, CanvasId) {
    let workspace = store.ensure_workspace("acme").await.unwrap();
    let definition = CanvasDefinition::parse_json(
        r#"{"name": "c", "entry_step_id": "add", "steps": [
            {"id": "add", "name": "Add", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": "549770573673", "audience": {"existing": {"audience_id": "42"}},
             "action": "add", "match_fields": ["email"], "next": null}]}"#,
    )
    .unwrap();
    let canvas = store
        .create_canvas(workspace.id, definition, T0)
        .await
        .unwrap();
    store
        .set_canvas_status(
            workspace.id,
            canvas.id,
            &[CanvasStatus::Draft],
            CanvasStatus::Active,
            T0,
        )
        .await
        .unwrap();
    let candidates = (0..users)
        .map(|n| EntryCandidate {
            user: UserUpsert {
                external_id: format!("user-{n}"),
                email: FieldUpdate::Set(StoredIdentifier::valid(digest(n))),
                ..UserUpsert::default()
            },
            entry_properties: None,
        })
        .collect();
    store
        .enter_users(workspace.id, canvas.id, candidates, T0)
        .await
        .unwrap();
    (workspace.id, canvas.id)
}

fn claim(canvas: CanvasId, worker: &str, now: i64, limit: u32) -> ClaimRequest {
    ClaimRequest {
        canvas_id: canvas,
        step_id: StepId::from("add"),
        worker: worker.into(),
        now,
        lease_until: now + 30_000,
        limit,
    }
}

pub async fn entered_users_show_up_as_one_due_partition(store: &dyn Store) {
    let (_, canvas) = canvas_with_users(store, 3).await;
    let due = store.due_sync_partitions(T0).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].canvas_id, due[0].items, due[0].records),
        (canvas, 3, 3)
    );
    assert_eq!(due[0].oldest_entered_at, T0);
    assert!(!due[0].holds_retries);
    assert!(store.due_sync_partitions(T0 - 1).await.unwrap().is_empty());
}

pub async fn each_partition_is_counted_up_to_a_full_request(store: &dyn Store) {
    let cap = u64::from(DUE_ITEMS_COUNTED);
    let (_, large) = canvas_with_users(store, DUE_ITEMS_COUNTED + 5).await;
    let (_, small) = canvas_with_users(store, 3).await;
    let counted = |due: Vec<pinsync_store::sync::DuePartition>| {
        due.iter()
            .map(|p| (p.canvas_id, p.items, p.records))
            .collect::<Vec<_>>()
    };
    let due = store.due_sync_partitions(T0).await.unwrap();
    assert_eq!(counted(due), [(large, cap, cap), (small, 3, 3)]);
    // Leased items are not due: 1,995 of the large partition's 2,005 are left, all counted.
    let leased = store
        .claim_sync_items(claim(large, "a", T0, 10))
        .await
        .unwrap();
    assert_eq!(leased.len(), 10);
    let due = store.due_sync_partitions(T0).await.unwrap();
    assert_eq!(counted(due), [(large, cap - 5, cap - 5), (small, 3, 3)]);
    // A partition whose every item is leased is not due at all.
    store
        .claim_sync_items(claim(small, "a", T0, 10))
        .await
        .unwrap();
    let due = store.due_sync_partitions(T0).await.unwrap();
    assert_eq!(counted(due), [(large, cap - 5, cap - 5)]);
}

pub async fn a_claim_is_a_lease_that_expires(store: &dyn Store) {
    let (_, canvas) = canvas_with_users(store, 5).await;
    let first = store
        .claim_sync_items(claim(canvas, "a", T0, 2))
        .await
        .unwrap();
    let second = store
        .claim_sync_items(claim(canvas, "b", T0, 10))
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 3);
    assert!(first[0].item.id < first[1].item.id && first[1].item.id < second[0].item.id);
    assert_eq!(
        first[0].item.identifiers,
        [(IdentifierKind::Email, digest(0))]
    );
    assert!(
        store
            .claim_sync_items(claim(canvas, "c", T0 + 29_999, 10))
            .await
            .unwrap()
            .is_empty()
    );

    store
        .release_sync_items(vec![second[0].item.id], "not-b")
        .await
        .unwrap();
    store
        .release_sync_items(vec![second[1].item.id], "b")
        .await
        .unwrap();
    let released = store
        .claim_sync_items(claim(canvas, "c", T0 + 1, 10))
        .await
        .unwrap();
    assert_eq!(released.len(), 1, "only the holder's release frees an item");

    let after_expiry = store
        .claim_sync_items(claim(canvas, "d", T0 + 30_000, 10))
        .await
        .unwrap();
    assert_eq!(after_expiry.len(), 4);
}

pub async fn a_retry_stores_its_next_attempt_time_and_counts_the_attempt(store: &dyn Store) {
    let (_, canvas) = canvas_with_users(store, 2).await;
    let claimed = store
        .claim_sync_items(claim(canvas, "a", T0, 10))
        .await
        .unwrap();
    let ids: Vec<SyncItemId> = claimed.iter().map(|c| c.item.id).collect();
    store
        .record_sync_attempt(AttemptRecord {
            item_ids: ids.clone(),
            request_id: Some("rid-1".into()),
            outcome: "rate_limited".into(),
            reason: Some(ReasonCode::RateLimited),
            retry_at: Some(T0 + 60_000),
            now: T0 + 10,
        })
        .await
        .unwrap();
    assert!(
        store
            .due_sync_partitions(T0 + 59_999)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store.due_sync_partitions(T0 + 60_000).await.unwrap();
    assert!(due[0].holds_retries);
    let again = store
        .claim_sync_items(claim(canvas, "b", T0 + 60_000, 10))
        .await
        .unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].item.attempts, 1);
    assert_eq!(again[0].first_attempt_at, Some(T0 + 10));
    let request_ids = store.sync_request_ids(ids.clone()).await.unwrap();
    assert_eq!(request_ids[&ids[0]], ["rid-1"]);
    let trace = store
        .sync_attempts_of_visit(again[0].item.journey_id, 0)
        .await
        .unwrap();
    assert_eq!(trace.len(), 1);
    assert_eq!(trace[0].reason.as_deref(), Some("rate_limited"));
}

pub async fn the_ledger_never_moves_backwards(store: &dyn Store) {
    let workspace = store.ensure_workspace("acme").await.unwrap();
    let write = |state, last_item_id| LedgerWrite {
        identifier_sha256: digest(1),
        kind: IdentifierKind::Email,
        workspace_id: workspace.id,
        external_id: "u".into(),
        entry: LedgerEntry {
            state,
            last_op: OpOrder::new(last_item_id, 1, 0),
        },
    };
    store
        .record_ledger("42", vec![write(MembershipState::Removed, 9)], T0)
        .await
        .unwrap();
    store
        .record_ledger("42", vec![write(MembershipState::Member, 5)], T0)
        .await
        .unwrap();
    let entries = store
        .ledger_entries("42", vec![digest(1), digest(2)])
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[&digest(1)],
        LedgerEntry {
            state: MembershipState::Removed,
            last_op: OpOrder::new(9, 1, 0)
        }
    );
    store
        .record_ledger("42", vec![write(MembershipState::Member, 10)], T0)
        .await
        .unwrap();
    let entries = store.ledger_entries("42", vec![digest(1)]).await.unwrap();
    assert_eq!(entries[&digest(1)].state, MembershipState::Member);
    assert!(
        store
            .ledger_entries("43", vec![digest(1)])
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn ledger_members_are_listed_per_user(store: &dyn Store) {
    let workspace = store.ensure_workspace("acme").await.unwrap();
    let write = |n, user: &str, state| LedgerWrite {
        identifier_sha256: digest(n),
        kind: IdentifierKind::Gaid,
        workspace_id: workspace.id,
        external_id: user.into(),
        entry: LedgerEntry {
            state,
            last_op: OpOrder::new(1, 1, 0),
        },
    };
    store
        .record_ledger(
            "42",
            vec![
                write(1, "u", MembershipState::Member),
                write(2, "u", MembershipState::Member),
                write(3, "u", MembershipState::Removed),
                write(4, "v", MembershipState::Member),
            ],
            T0,
        )
        .await
        .unwrap();
    let members = store
        .ledger_members("42", workspace.id, vec!["u".into()])
        .await
        .unwrap();
    assert_eq!(
        members,
        [
            ("u".to_string(), IdentifierKind::Gaid, digest(1)),
            ("u".to_string(), IdentifierKind::Gaid, digest(2)),
        ]
    );
}

pub async fn items_past_the_horizon_are_found(store: &dyn Store) {
    let (_, canvas) = canvas_with_users(store, 2).await;
    let step = StepId::from("add");
    assert!(
        store
            .expired_sync_items(canvas, &step, T0 - 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .expired_sync_items(canvas, &step, T0, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let claimed = store
        .claim_sync_items(claim(canvas, "a", T0, 1))
        .await
        .unwrap();
    store
        .record_sync_attempt(AttemptRecord {
            item_ids: vec![claimed[0].item.id],
            request_id: None,
            outcome: "transient".into(),
            reason: Some(ReasonCode::Transient),
            retry_at: Some(T0 + 1_000),
            now: T0 + 500,
        })
        .await
        .unwrap();
    let expired = store
        .expired_sync_items(canvas, &step, T0 + 100, 10)
        .await
        .unwrap();
    assert_eq!(
        expired.len(),
        1,
        "the horizon counts from the first attempt"
    );
}

/// A batch's outcome in one call: the ledger learns the sent records, each attempt is logged
/// with its number (a retried item's second attempt is number 2), finished items leave the
/// queue with their outcome and request ids, a rescheduled one stays due at its retry time.
pub async fn a_settled_batch_writes_ledger_attempts_and_outcomes(store: &dyn Store) {
    let (workspace, canvas) = canvas_with_users(store, 4).await;
    let step = StepId::from("add");
    let first = store
        .claim_sync_items(claim(canvas, "a", T0, 1))
        .await
        .unwrap();
    store
        .record_sync_attempt(AttemptRecord {
            item_ids: vec![first[0].item.id],
            request_id: Some("rid-0".into()),
            outcome: "transient".into(),
            reason: Some(ReasonCode::Transient),
            retry_at: Some(T0 + 100),
            now: T0 + 10,
        })
        .await
        .unwrap();
    let claimed = store
        .claim_sync_items(claim(canvas, "b", T0 + 100, 10))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 4);
    let ids: Vec<SyncItemId> = claimed.iter().map(|c| c.item.id).collect();
    let synced = |request_ids: &[&str]| SyncOutcome::Synced {
        detail: SyncDetail {
            request_ids: request_ids.iter().map(|id| id.to_string()).collect(),
        },
    };
    let ledger = (0..3)
        .map(|n| LedgerWrite {
            identifier_sha256: digest(n),
            kind: IdentifierKind::Email,
            workspace_id: workspace,
            external_id: format!("user-{n}"),
            entry: LedgerEntry {
                state: MembershipState::Member,
                last_op: OpOrder::new(T0, claimed[n as usize].item.journey_id, 0),
            },
        })
        .collect();
    let report = store
        .settle_sync_batch(BatchSettlement {
            audience_id: "42".into(),
            ledger,
            attempts: vec![
                AttemptRecord {
                    item_ids: ids[..3].to_vec(),
                    request_id: Some("rid-1".into()),
                    outcome: "success".into(),
                    reason: None,
                    retry_at: None,
                    now: T0 + 200,
                },
                AttemptRecord {
                    item_ids: vec![ids[3]],
                    request_id: Some("rid-2".into()),
                    outcome: "rate_limited".into(),
                    reason: Some(ReasonCode::RateLimited),
                    retry_at: Some(T0 + 5_000),
                    now: T0 + 200,
                },
            ],
            completions: vec![
                (ids[0], synced(&["rid-0", "rid-1"])),
                (ids[1], synced(&["rid-1"])),
                (ids[2], synced(&["rid-1"])),
                (SyncItemId(ids[3].0 + 1_000), synced(&[])),
            ],
            now: T0 + 200,
        })
        .await
        .unwrap();
    assert_eq!(
        report,
        CompletionReport {
            completed: 3,
            unknown: 1
        }
    );

    let entries = store
        .ledger_entries("42", (0..4).map(digest).collect())
        .await
        .unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[&digest(1)].state, MembershipState::Member);

    let counts = store.canvas_counts(canvas).await.unwrap();
    let add = &counts.steps[&step];
    assert_eq!((add.synced, add.pending), (3, 1));

    let retried = &claimed[0].item;
    let attempts = store
        .sync_attempts_of_visit(retried.journey_id, 0)
        .await
        .unwrap();
    let numbered: Vec<(u32, Option<&str>)> = attempts
        .iter()
        .map(|a| (a.attempt, a.request_id.as_deref()))
        .collect();
    assert_eq!(numbered, [(1, Some("rid-0")), (2, Some("rid-1"))]);
    assert_eq!(attempts[1].outcome, "success");
    let trace = store
        .journey_traces(canvas, &retried.external_id)
        .await
        .unwrap();
    let visit = &trace[0].visits[0];
    assert_eq!(visit.outcome.as_deref(), Some("synced"));
    assert_eq!(visit.attempts, 2);
    assert_eq!(visit.request_ids, ["rid-0", "rid-1"]);

    assert!(
        store
            .claim_sync_items(claim(canvas, "c", T0 + 4_999, 10))
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_sync_items(claim(canvas, "c", T0 + 5_000, 10))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].item.id, again[0].item.attempts), (ids[3], 1));
}

sync_conformance_suite!(sqlite_sync, crate::sqlite::fresh_sqlite());
