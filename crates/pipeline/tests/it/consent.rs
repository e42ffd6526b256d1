//! Consent revoked: a user whose `ad_tracking_enabled` turns false leaves every audience the
//! ledger says they were added to (all their identifiers), through REMOVE requests of the
//! pipeline; queuing is idempotent, step counters do not move, an add queued before the
//! revocation is not sent after it, and a paused connection holds removals until reconnected.

use std::time::Duration;

use pinsync_store::consent::ConsentRemovalStatus;
use pinsync_store::{ConsentStore, FieldUpdate, StepCounts, Store, UserUpsert};

use crate::support::{ALICE, Harness, digests, email_digest};

fn gaid_digest(n: u32) -> String {
    format!("{:064x}", 0x6a1d_0000_u64 + u64::from(n))
}

async fn set_ad_tracking(app: &Harness, external_id: &str, enabled: bool) {
    app.store
        .upsert_users(
            app.workspace,
            vec![UserUpsert {
                external_id: external_id.into(),
                ad_tracking_enabled: FieldUpdate::Set(enabled),
                ..UserUpsert::default()
            }],
        )
        .await
        .unwrap();
}

fn assert_counts_add_up(counts: &StepCounts) {
    assert_eq!(
        counts.entered,
        counts.synced + counts.not_synced_total() + counts.errored_total() + counts.pending,
        "entered = synced + not_synced + errored + pending: {counts:?}"
    );
}

#[tokio::test]
async fn revoking_consent_removes_every_identifier_from_every_audience_the_user_was_added_to() {
    let app = Harness::start().await;
    let (first_audience, first_list) = app.audience("consent-first").await;
    let (second_audience, second_list) = app.audience("consent-second").await;
    let first = app.canvas_known(&first_audience, &first_list, "add").await;
    let second = app
        .canvas_known(&second_audience, &second_list, "add")
        .await;
    let users: Vec<(String, Vec<String>)> = (1..=3)
        .map(|n| (format!("user-{n}"), vec![email_digest(n), gaid_digest(n)]))
        .collect();
    app.enter_with(first, users.clone()).await;
    app.enter_with(second, users).await;
    app.advance(Duration::from_secs(5));
    app.drain(Duration::from_secs(5), 5).await;
    let everyone: std::collections::BTreeSet<String> = digests(1..=3)
        .into_iter()
        .chain((1..=3).map(gaid_digest))
        .collect();
    assert_eq!(app.members(&first_list), everyone);
    assert_eq!(app.members(&second_list), everyone);
    let before = (app.step_counts(first).await, app.step_counts(second).await);

    set_ad_tracking(&app, "user-2", false).await;
    let queued = app
        .pipeline
        .revoke_consent(app.workspace, vec!["user-2".into()])
        .await
        .unwrap();
    assert_eq!(
        queued, 2,
        "one removal per audience the user is a member of"
    );
    let again = app
        .pipeline
        .revoke_consent(app.workspace, vec!["user-2".into()])
        .await
        .unwrap();
    assert_eq!(
        again, 0,
        "a second revocation while one is pending queues nothing"
    );

    let report = app.pipeline.send_consent_removals().await.unwrap();
    assert_eq!(
        (report.requests, report.removed, report.records_sent),
        (2, 2, 4)
    );
    let remaining: std::collections::BTreeSet<String> = everyone
        .iter()
        .filter(|digest| **digest != email_digest(2) && **digest != gaid_digest(2))
        .cloned()
        .collect();
    assert_eq!(app.members(&first_list), remaining);
    assert_eq!(app.members(&second_list), remaining);

    let trace = app
        .store
        .consent_removals_of_user(app.workspace, "user-2")
        .await
        .unwrap();
    assert_eq!(trace.len(), 2);
    for removal in &trace {
        assert_eq!(removal.status, ConsentRemovalStatus::Removed);
        assert_eq!(removal.records, 2);
        assert_eq!(removal.request_ids.len(), 1, "{removal:?}");
    }

    let after = (app.step_counts(first).await, app.step_counts(second).await);
    assert_eq!(before, after, "a consent removal is not a step entry");
    assert_counts_add_up(&after.0);
    assert_counts_add_up(&after.1);

    let third = app
        .pipeline
        .revoke_consent(app.workspace, vec!["user-2".into()])
        .await
        .unwrap();
    assert_eq!(
        third, 0,
        "the ledger holds the user in no audience any more"
    );
    let idle = app.pipeline.send_consent_removals().await.unwrap();
    assert_eq!(idle.requests, 0);
}

#[tokio::test]
async fn only_users_whose_ad_tracking_is_disabled_are_queued() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("consent-enabled").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 1..=2).await;
    app.advance(Duration::from_secs(5));
    app.drain(Duration::from_secs(5), 5).await;

    // Consent given back before the removal was queued: nothing to remove.
    set_ad_tracking(&app, "user-1", false).await;
    set_ad_tracking(&app, "user-1", true).await;
    let queued = app
        .pipeline
        .revoke_consent(app.workspace, vec!["user-1".into(), "user-2".into()])
        .await
        .unwrap();
    assert_eq!(queued, 0);
    assert_eq!(app.members(&list), digests(1..=2));
}

#[tokio::test]
async fn an_add_queued_before_the_revocation_is_not_sent_after_the_removal() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("consent-queued-add").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 1..=2).await;
    app.advance(Duration::from_secs(5));
    app.drain(Duration::from_secs(5), 5).await;
    assert_eq!(app.members(&list), digests(1..=2));

    // The user enters again (its add waits for the 5 s flush), then revokes consent.
    app.enter(canvas, [1]).await;
    app.advance(Duration::from_secs(1));
    set_ad_tracking(&app, "user-1", false).await;
    let queued = app
        .pipeline
        .revoke_consent(app.workspace, vec!["user-1".into()])
        .await
        .unwrap();
    assert_eq!(queued, 1);
    app.pipeline.send_consent_removals().await.unwrap();
    assert_eq!(app.members(&list), digests([2]));

    app.advance(Duration::from_secs(5));
    app.drain(Duration::from_secs(5), 5).await;
    assert_eq!(
        app.members(&list),
        digests([2]),
        "the earlier add is overtaken by the removal"
    );
    let counts = app.step_counts(canvas).await;
    assert_eq!(counts.entered, 3);
    assert_counts_add_up(&counts);

    // Consent given again and a new entry: the user is added again.
    set_ad_tracking(&app, "user-1", true).await;
    app.advance(Duration::from_secs(1));
    app.enter(canvas, [1]).await;
    app.advance(Duration::from_secs(5));
    app.drain(Duration::from_secs(5), 5).await;
    assert_eq!(app.members(&list), digests(1..=2));
}

#[tokio::test]
async fn a_revoked_token_holds_consent_removals_until_the_connection_is_back() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("consent-paused").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 1..=3).await;
    app.advance(Duration::from_secs(5));
    app.drain(Duration::from_secs(5), 5).await;

    app.sandbox().revoke_token(&app.refresh_token).unwrap();
    set_ad_tracking(&app, "user-3", false).await;
    app.pipeline
        .revoke_consent(app.workspace, vec!["user-3".into()])
        .await
        .unwrap();
    let report = app.pipeline.send_consent_removals().await.unwrap();
    assert_eq!((report.removed, report.held), (0, 1), "{report:?}");
    assert_eq!(app.members(&list), digests(1..=3));
    let held = app
        .store
        .consent_removals_of_user(app.workspace, "user-3")
        .await
        .unwrap();
    assert_eq!(held[0].status, ConsentRemovalStatus::Pending);

    app.directory.reconnect(&app.key, app.connect(ALICE));
    app.advance(Duration::from_secs(5));
    let report = app.pipeline.send_consent_removals().await.unwrap();
    assert_eq!(report.removed, 1, "{report:?}");
    assert_eq!(app.members(&list), digests(1..=2));
}

#[tokio::test]
async fn an_add_still_queued_when_consent_is_revoked_is_never_sent() {
    let app = Harness::start().await;
    let (audience, list) = app.audience("consent-never-sent").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 1..=3).await;
    app.advance(Duration::from_secs(1));

    // Revoked while the first add still waits for its flush: the ledger holds the user in no
    // audience yet, so there is nothing to remove, and the add itself must not go out.
    set_ad_tracking(&app, "user-2", false).await;
    let queued = app
        .pipeline
        .revoke_consent(app.workspace, vec!["user-2".into()])
        .await
        .unwrap();
    assert_eq!(queued, 0, "not a member anywhere yet");

    app.advance(Duration::from_secs(5));
    app.drain(Duration::from_secs(5), 5).await;
    assert_eq!(app.members(&list), digests([1, 3]));
    let counts = app.step_counts(canvas).await;
    assert_eq!(counts.synced, 2, "{counts:?}");
    assert_eq!(
        counts.not_synced.get("ad_tracking_disabled"),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(counts.pending, 0, "{counts:?}");
    assert_counts_add_up(&counts);
}
