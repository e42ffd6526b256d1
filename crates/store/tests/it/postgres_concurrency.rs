//! Several instances on one PostgreSQL database, simulated by several stores (pools) on it:
//! entry, the delay timer, claims and completions run concurrently from all of them, and each
//! user, journey and sync item must be handled exactly once.

use std::collections::HashSet;

use pinsync_core::canvas::{CanvasDefinition, StepId};
use pinsync_store::SyncStore;
use pinsync_store::sync::ClaimRequest;
use pinsync_store::{
    CanvasId, CanvasStatus, CanvasStore, EntryCandidate, EntryResult, FieldUpdate, PgStore, Store,
    StoredIdentifier, SyncDetail, SyncItemId, SyncOutcome, UserUpsert, WorkspaceId,
};
use serde_json::json;

use crate::postgres::{PgFixture, connect_to, fresh_postgres};

const T0: i64 = 1_772_409_600_000;
const HOUR: i64 = 3_600_000;
/// Concurrent callers per store.
const TASKS_PER_STORE: usize = 3;

/// Two stores on one migrated database: two pinsync instances, as far as the data goes.
async fn two_instances() -> (PgFixture, PgStore) {
    let first = fresh_postgres().await;
    let second = connect_to(first.database_name()).await;
    (first, second)
}

/// Delay 1 h → add to an audience by email → exit.
fn delayed_sync() -> CanvasDefinition {
    let json = json!({
        "name": "Concurrent", "entry_step_id": "wait", "reentry": "never",
        "steps": [
            {"id": "wait", "name": "Wait", "type": "delay", "duration_seconds": 3600, "next": "add"},
            {"id": "add", "name": "Add", "type": "audience_sync", "partner": "pinterest",
             "ad_account_id": "1", "audience": {"existing": {"audience_id": "2"}},
             "action": "add", "match_fields": ["email"], "next": null}
        ]
    });
    CanvasDefinition::parse_json(&json.to_string()).unwrap()
}

async fn launched(store: &dyn Store) -> (WorkspaceId, CanvasId) {
    let workspace = store.ensure_workspace("w").await.unwrap().id;
    let canvas = store
        .create_canvas(workspace, delayed_sync(), T0)
        .await
        .unwrap();
    store
        .set_canvas_status(
            workspace,
            canvas.id,
            &[CanvasStatus::Draft],
            CanvasStatus::Active,
            T0,
        )
        .await
        .unwrap();
    (workspace, canvas.id)
}

fn candidates(range: std::ops::Range<u32>) -> Vec<EntryCandidate> {
    range
        .map(|n| EntryCandidate {
            user: UserUpsert {
                external_id: format!("user-{n:05}"),
                email: FieldUpdate::Set(StoredIdentifier::valid(format!("{n:064x}"))),
                ..UserUpsert::default()
            },
            entry_properties: None,
        })
        .collect()
}

fn entered(result: EntryResult) -> (u64, u64) {
    match result {
        EntryResult::Entered(report) => (report.entered, report.already_in_canvas),
        EntryResult::WrongStatus(status) => panic!("entry refused: {status}"),
    }
}

/// Runs `TASKS_PER_STORE` copies of `work` on each store at once and returns their results.
async fn on_both<T, F, Fut>(first: &PgStore, second: &PgStore, work: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(PgStore, usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let mut tasks = Vec::new();
    for task in 0..TASKS_PER_STORE {
        tasks.push(tokio::spawn(work(first.clone(), 2 * task)));
        tasks.push(tokio::spawn(work(second.clone(), 2 * task + 1)));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_entering_the_same_users_enter_each_once() {
    let (first, second) = two_instances().await;
    let (workspace, canvas) = launched(&*first).await;
    let reports = on_both(&first, &second, move |store, task| async move {
        // Every task enters all users, in chunks that start at different places.
        let mut totals = (0, 0);
        for chunk in 0..6 {
            let start = ((chunk + task) % 6) as u32 * 100;
            let result = store
                .enter_users(workspace, canvas, candidates(start..start + 100), T0)
                .await
                .unwrap();
            let (entered, already) = entered(result);
            totals.0 += entered;
            totals.1 += already;
        }
        totals
    })
    .await;
    let entered: u64 = reports.iter().map(|r| r.0).sum();
    let already: u64 = reports.iter().map(|r| r.1).sum();
    let tasks = 2 * TASKS_PER_STORE as u64;
    assert_eq!(entered, 600, "each user entered exactly once");
    assert_eq!(already, 600 * (tasks - 1));
    assert_eq!(first.count_users(workspace).await.unwrap(), 600);
    let counts = first.canvas_counts(canvas).await.unwrap();
    assert_eq!(counts.entered, 600);
    assert_eq!(counts, first.recount_canvas(canvas).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_advance_each_due_journey_once() {
    let (first, second) = two_instances().await;
    let (workspace, canvas) = launched(&*first).await;
    for start in (0..1_000).step_by(250) {
        first
            .enter_users(workspace, canvas, candidates(start..start + 250), T0)
            .await
            .unwrap();
    }
    let advanced = on_both(&first, &second, |store, _| async move {
        let mut advanced = 0;
        loop {
            let report = store.advance_due_journeys(T0 + HOUR, 40).await.unwrap();
            if report.advanced == 0 {
                return advanced;
            }
            advanced += report.advanced;
        }
    })
    .await;
    assert_eq!(
        advanced.iter().sum::<u64>(),
        1_000,
        "each journey advanced once"
    );
    assert_eq!(first.next_wake_at().await.unwrap(), None);
    let add = StepId::new("add");
    let items = first.sync_items(canvas, &add, None, 5_000).await.unwrap();
    assert_eq!(items.len(), 1_000, "one sync item per journey");
    let users: HashSet<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
    assert_eq!(users.len(), 1_000);
    let counts = first.canvas_counts(canvas).await.unwrap();
    assert_eq!(counts.steps[&add].entered, 1_000);
    assert_eq!(counts.steps[&StepId::new("wait")].proceeded, 1_000);
    assert_eq!(counts.exited, 1_000);
    assert_eq!(counts, first.recount_canvas(canvas).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_claim_and_complete_each_item_once() {
    let (first, second) = two_instances().await;
    let (workspace, canvas) = launched(&*first).await;
    first
        .enter_users(workspace, canvas, candidates(0..800), T0)
        .await
        .unwrap();
    first.advance_due_journeys(T0 + HOUR, 1_000).await.unwrap();
    let now = T0 + HOUR;
    let claimed = on_both(&first, &second, move |store, task| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store
                .claim_sync_items(ClaimRequest {
                    canvas_id: canvas,
                    step_id: StepId::new("add"),
                    worker: format!("worker-{task}"),
                    now,
                    lease_until: now + 60_000,
                    limit: 37,
                })
                .await
                .unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|claimed| claimed.item.id));
        }
    })
    .await;
    let all: Vec<SyncItemId> = claimed.iter().flatten().copied().collect();
    let distinct: HashSet<SyncItemId> = all.iter().copied().collect();
    assert_eq!(all.len(), 800, "every item claimed");
    assert_eq!(distinct.len(), 800, "no item claimed twice");

    // Every worker completes its own items and, as a late duplicate, its neighbour's.
    let claimed = std::sync::Arc::new(claimed);
    let completed = on_both(&first, &second, move |store, task| {
        let claimed = claimed.clone();
        async move {
            let neighbour = (task + 1) % claimed.len();
            let mut completed = 0;
            for ids in [&claimed[task], &claimed[neighbour]] {
                let outcomes = ids
                    .iter()
                    .map(|id| {
                        let detail = SyncDetail {
                            request_ids: vec![format!("r-{task}")],
                        };
                        (*id, SyncOutcome::Synced { detail })
                    })
                    .collect();
                completed += store
                    .complete_sync_items(outcomes, now)
                    .await
                    .unwrap()
                    .completed;
            }
            completed
        }
    })
    .await;
    assert_eq!(
        completed.iter().sum::<u64>(),
        800,
        "each item completed once"
    );
    let counts = first.canvas_counts(canvas).await.unwrap();
    let add = &counts.steps[&StepId::new("add")];
    assert_eq!((add.synced, add.pending, add.entered), (800, 0, 800));
    assert_eq!(counts, first.recount_canvas(canvas).await.unwrap());
}
