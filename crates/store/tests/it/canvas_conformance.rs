//! The Canvas part of the conformance suite: Canvases, entry, journeys, timers, sync items and
//! counters, generic over [`Store`]. A backend runs it with [`canvas_conformance_suite!`].

use pinsync_core::canvas::{CanvasDefinition, StepId};
use pinsync_core::reason::ReasonCode;
use pinsync_store::{
    CanvasChange, CanvasId, CanvasStatus, EntryCandidate, EntryResult, FieldUpdate, Store,
    StoredIdentifier, SyncDetail, SyncOutcome, UserUpsert, WorkspaceId,
};
use serde_json::json;

/// Stamps out one `#[tokio::test]` per Canvas conformance test for a backend.
#[macro_export]
macro_rules! canvas_conformance_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            $crate::canvas_conformance_suite!(@tests $make;
                a_created_canvas_reads_back_as_a_draft_of_its_workspace_only,
                entering_a_draft_is_refused_and_writes_nothing,
                entered_users_walk_to_the_first_delay_and_leave_sync_items,
                the_timer_moves_only_due_journeys_of_active_canvases,
                completing_sync_items_moves_pending_to_the_outcome_once,
                a_user_enters_once_unless_the_canvas_allows_reentry_after_exit,
                an_update_refuses_to_drop_a_step_that_was_entered,
                status_changes_happen_only_from_the_allowed_statuses,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::canvas_conformance::$name(&*fixture).await;
            }
        )*
    };
}

const T0: i64 = 1_772_409_600_000;
const HOUR: i64 = 3_600_000;

/// Sync (email) → delay 1 h → sync remove → exit.
fn definition(reentry: &str) -> CanvasDefinition {
    let json = json!({
        "name": "Conformance", "entry_step_id": "add", "reentry": reentry,
        "steps": [
            {"id": "add", "name": "Add", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": "1", "audience": {"existing": {"audience_id": "2"}},
             "action": "add", "match_fields": ["email"], "next": "wait"},
            {"id": "wait", "name": "Wait", "type": "delay", "duration_seconds": 3600, "next": "remove"},
            {"id": "remove", "name": "Remove", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": "1", "audience": {"step": "add"},
             "action": "remove", "match_fields": ["email"], "next": null}
        ]
    });
    CanvasDefinition::parse_json(&json.to_string()).unwrap()
}

fn candidate(external_id: &str, email_hash: Option<&str>) -> EntryCandidate {
    EntryCandidate {
        user: UserUpsert {
            external_id: external_id.into(),
            email: match email_hash {
                Some(hash) => FieldUpdate::Set(StoredIdentifier::valid(hash.into())),
                None => FieldUpdate::Keep,
            },
            ..UserUpsert::default()
        },
        entry_properties: None,
    }
}

const HASH: &str = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514";

async fn launched(store: &dyn Store, reentry: &str) -> (WorkspaceId, CanvasId) {
    let workspace = store.ensure_workspace("w").await.unwrap().id;
    let canvas = store
        .create_canvas(workspace, definition(reentry), T0)
        .await
        .unwrap();
    let change = store
        .set_canvas_status(
            workspace,
            canvas.id,
            &[CanvasStatus::Draft],
            CanvasStatus::Active,
            T0,
        )
        .await
        .unwrap();
    assert!(matches!(change, CanvasChange::Done(_)));
    (workspace, canvas.id)
}

async fn assert_counts_match_recount(store: &dyn Store, canvas: CanvasId) {
    let counts = store.canvas_counts(canvas).await.unwrap();
    assert_eq!(counts, store.recount_canvas(canvas).await.unwrap());
}

pub async fn a_created_canvas_reads_back_as_a_draft_of_its_workspace_only(store: &dyn Store) {
    let workspace = store.ensure_workspace("w").await.unwrap().id;
    let other = store.ensure_workspace("other").await.unwrap().id;
    let created = store
        .create_canvas(workspace, definition("never"), T0)
        .await
        .unwrap();
    assert_eq!(created.status, CanvasStatus::Draft);
    assert_eq!(created.definition, definition("never"));
    let read = store.canvas(workspace, created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert!(store.canvas(other, created.id).await.unwrap().is_none());
    assert_eq!(
        store.list_canvases(workspace, false).await.unwrap().len(),
        1
    );
    assert!(store.list_canvases(other, true).await.unwrap().is_empty());
}

pub async fn entering_a_draft_is_refused_and_writes_nothing(store: &dyn Store) {
    let workspace = store.ensure_workspace("w").await.unwrap().id;
    let canvas = store
        .create_canvas(workspace, definition("never"), T0)
        .await
        .unwrap();
    let result = store
        .enter_users(workspace, canvas.id, vec![candidate("u1", Some(HASH))], T0)
        .await
        .unwrap();
    assert_eq!(result, EntryResult::WrongStatus(CanvasStatus::Draft));
    assert!(store.user(workspace, "u1").await.unwrap().is_none());
}

pub async fn entered_users_walk_to_the_first_delay_and_leave_sync_items(store: &dyn Store) {
    let (workspace, canvas) = launched(store, "never").await;
    let result = store
        .enter_users(
            workspace,
            canvas,
            vec![candidate("u1", Some(HASH)), candidate("u2", None)],
            T0,
        )
        .await
        .unwrap();
    let EntryResult::Entered(report) = result else {
        panic!("refused: {result:?}");
    };
    assert_eq!((report.entered, report.users_created), (2, 2));
    let items = store
        .sync_items(canvas, &StepId::new("add"), None, 10)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].external_id, "u1");
    assert_eq!(
        items[0].identifiers,
        vec![(
            pinsync_core::identifier::IdentifierKind::Email,
            HASH.to_owned()
        )]
    );
    let counts = store.canvas_counts(canvas).await.unwrap();
    let add = &counts.steps[&StepId::new("add")];
    assert_eq!((add.entered, add.proceeded, add.pending), (2, 2, 1));
    assert_eq!(add.not_synced.get("missing"), Some(&1));
    assert_eq!(counts.steps[&StepId::new("wait")].in_step, 2);
    assert_counts_match_recount(store, canvas).await;
    let traces = store.journey_traces(canvas, "u1").await.unwrap();
    assert_eq!(traces[0].wake_at, Some(T0 + HOUR));
}

pub async fn the_timer_moves_only_due_journeys_of_active_canvases(store: &dyn Store) {
    let (workspace, canvas) = launched(store, "never").await;
    store
        .enter_users(workspace, canvas, vec![candidate("u1", Some(HASH))], T0)
        .await
        .unwrap();
    store
        .enter_users(
            workspace,
            canvas,
            vec![candidate("u2", Some(HASH))],
            T0 + HOUR / 2,
        )
        .await
        .unwrap();
    assert_eq!(store.next_wake_at().await.unwrap(), Some(T0 + HOUR));
    assert_eq!(
        store
            .advance_due_journeys(T0 + HOUR - 1, 100)
            .await
            .unwrap()
            .advanced,
        0
    );
    assert_eq!(
        store
            .advance_due_journeys(T0 + HOUR, 100)
            .await
            .unwrap()
            .advanced,
        1
    );
    store
        .set_canvas_status(
            workspace,
            canvas,
            &[CanvasStatus::Active],
            CanvasStatus::Stopped,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .advance_due_journeys(T0 + 2 * HOUR, 100)
            .await
            .unwrap()
            .advanced,
        0
    );
    assert_eq!(store.next_wake_at().await.unwrap(), None);
    let counts = store.canvas_counts(canvas).await.unwrap();
    assert_eq!((counts.entered, counts.exited), (2, 1));
    assert_eq!(counts.steps[&StepId::new("remove")].exited, 1);
    assert_counts_match_recount(store, canvas).await;
}

pub async fn completing_sync_items_moves_pending_to_the_outcome_once(store: &dyn Store) {
    let (workspace, canvas) = launched(store, "never").await;
    let users = vec![candidate("u1", Some(HASH)), candidate("u2", Some(HASH))];
    store
        .enter_users(workspace, canvas, users, T0)
        .await
        .unwrap();
    let items = store
        .sync_items(canvas, &StepId::new("add"), None, 10)
        .await
        .unwrap();
    let detail = SyncDetail {
        request_ids: vec!["r1".into()],
    };
    let outcomes = vec![
        (
            items[0].id,
            SyncOutcome::Synced {
                detail: detail.clone(),
            },
        ),
        (
            items[1].id,
            SyncOutcome::Errored {
                reason: ReasonCode::Transient,
                detail,
            },
        ),
    ];
    let report = store
        .complete_sync_items(outcomes.clone(), T0)
        .await
        .unwrap();
    assert_eq!((report.completed, report.unknown), (2, 0));
    let again = store.complete_sync_items(outcomes, T0).await.unwrap();
    assert_eq!((again.completed, again.unknown), (0, 2));
    let add = store.canvas_counts(canvas).await.unwrap().steps[&StepId::new("add")].clone();
    assert_eq!((add.pending, add.synced), (0, 1));
    assert_eq!(add.errored.get("transient"), Some(&1));
    assert!(
        store
            .sync_items(canvas, &StepId::new("add"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let visit = &store.journey_traces(canvas, "u1").await.unwrap()[0].visits[0];
    assert_eq!(visit.outcome.as_deref(), Some("synced"));
    assert_eq!(visit.request_ids, vec!["r1".to_owned()]);
    assert_counts_match_recount(store, canvas).await;
}

pub async fn a_user_enters_once_unless_the_canvas_allows_reentry_after_exit(store: &dyn Store) {
    for (policy, entered_again) in [("never", 0), ("after_exit", 1)] {
        let (workspace, canvas) = launched(store, policy).await;
        let enter =
            |at| store.enter_users(workspace, canvas, vec![candidate("u1", Some(HASH))], at);
        enter(T0).await.unwrap();
        let EntryResult::Entered(inside) = enter(T0).await.unwrap() else {
            panic!("refused");
        };
        assert_eq!(inside.already_in_canvas, 1, "{policy}: still inside");
        store.advance_due_journeys(T0 + HOUR, 100).await.unwrap();
        let EntryResult::Entered(after) = enter(T0 + HOUR).await.unwrap() else {
            panic!("refused");
        };
        assert_eq!(after.entered, entered_again, "{policy}: after exit");
        assert_counts_match_recount(store, canvas).await;
    }
}

pub async fn an_update_refuses_to_drop_a_step_that_was_entered(store: &dyn Store) {
    let (workspace, canvas) = launched(store, "never").await;
    store
        .enter_users(workspace, canvas, vec![candidate("u1", Some(HASH))], T0)
        .await
        .unwrap();
    assert_eq!(
        store.steps_with_history(canvas).await.unwrap(),
        vec![StepId::new("add"), StepId::new("wait")]
    );
    let allowed = [CanvasStatus::Active];
    let change = store
        .update_canvas(
            workspace,
            canvas,
            definition("never"),
            &allowed,
            vec![StepId::new("wait")],
            T0,
        )
        .await
        .unwrap();
    assert_eq!(change, CanvasChange::StepsInUse(vec![StepId::new("wait")]));
    let mut renamed = definition("never");
    renamed.name = "Renamed".into();
    let change = store
        .update_canvas(
            workspace,
            canvas,
            renamed,
            &allowed,
            vec![StepId::new("remove")],
            T0,
        )
        .await
        .unwrap();
    assert!(matches!(change, CanvasChange::Done(ref c) if c.definition.name == "Renamed"));
}

pub async fn status_changes_happen_only_from_the_allowed_statuses(store: &dyn Store) {
    let (workspace, canvas) = launched(store, "never").await;
    let change = store
        .set_canvas_status(
            workspace,
            canvas,
            &[CanvasStatus::Draft],
            CanvasStatus::Active,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(change, CanvasChange::WrongStatus(CanvasStatus::Active));
    let change = store
        .set_canvas_status(
            workspace,
            canvas,
            &[CanvasStatus::Active],
            CanvasStatus::Archived,
            T0 + 5,
        )
        .await
        .unwrap();
    let CanvasChange::Done(archived) = change else {
        panic!("refused");
    };
    assert_eq!(
        (archived.status, archived.archived_at),
        (CanvasStatus::Archived, Some(T0 + 5))
    );
    assert_eq!(archived.launched_at, Some(T0));
}
