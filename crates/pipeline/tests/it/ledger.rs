//! The membership ledger: re-adds are not re-sent, removes send every identifier ever added,
//! and the trace shows it.

use std::time::Duration;

use pinsync_store::{CanvasStore, SyncStore};

use crate::support::{Harness, digests, email_digest};

#[tokio::test]
async fn a_user_added_again_while_a_member_is_not_sent_again_but_counted_as_synced() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("readd").await;
    let canvas = app.canvas(&audience, "add").await;
    app.enter(canvas, [1]).await;
    app.advance(Duration::from_secs(5));
    assert_eq!(app.run_once().await.requests(), 1);

    app.enter(canvas, [1]).await;
    app.advance(Duration::from_secs(5));
    let second = app.run_once().await;
    assert_eq!(second.requests(), 0, "a member is not sent again");
    assert_eq!(app.patch_requests(200), 1);
    assert_eq!(app.members(&list), digests([1]));
    let counts = app.step_counts(canvas).await;
    assert_eq!((counts.entered, counts.synced, counts.pending), (2, 2, 0));

    let traces = app.store.journey_traces(canvas, "user-1").await.unwrap();
    assert_eq!(traces.len(), 2);
    let attempts = app
        .store
        .sync_attempts_of_visit(traces[1].journey_id, 0)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, "already_member");
    assert_eq!(attempts[0].reason.as_deref(), Some("already_member"));
    let first_visit = &traces[0].visits[0];
    assert_eq!(first_visit.outcome.as_deref(), Some("synced"));
    assert_eq!(
        first_visit.request_ids.len(),
        1,
        "the trace keeps the request id"
    );
}

#[tokio::test]
async fn a_remove_sends_every_identifier_ever_added_for_the_user() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("remove-all").await;
    let add = app.canvas(&audience, "add").await;
    let remove = app.canvas(&audience, "remove").await;
    let (old_email, new_email, gaid) = (email_digest(1), email_digest(2), email_digest(3));
    app.enter_with(
        add,
        vec![("u".into(), vec![old_email.clone(), gaid.clone()])],
    )
    .await;
    app.advance(Duration::from_secs(5));
    app.run_once().await;
    // The user changes email and is added again: both emails are members now.
    app.enter_with(add, vec![("u".into(), vec![new_email.clone()])])
        .await;
    app.advance(Duration::from_secs(5));
    app.run_once().await;
    assert_eq!(app.members(&list).len(), 3);

    // The remove step only knows the current email; the ledger adds the rest.
    app.enter_with(remove, vec![("u".into(), vec![new_email.clone()])])
        .await;
    app.advance(Duration::from_secs(5));
    let pass = app.run_once().await;
    assert_eq!(pass.batches[0].records_sent, 3);
    assert!(app.members(&list).is_empty());
}
