//! The consent area's conformance suite: who has ad tracking disabled, and consent removals
//! queued (only for such users, once per pending user and audience), claimed with a lease and
//! finished, generic over [`pinsync_store::ConsentStore`] and stamped out per backend by
//! [`consent_conformance_suite!`].

use pinsync_core::canvas::StepId;
use pinsync_store::consent::{
    ConsentClaim, ConsentOutcome, ConsentRemovalStatus, NewConsentRemoval,
};
use pinsync_store::{CanvasId, FieldUpdate, Store, UserUpsert, WorkspaceId};

/// Stamps out one `#[tokio::test]` per consent conformance test for a backend.
#[macro_export]
macro_rules! consent_conformance_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            $crate::consent_conformance_suite!(@tests $make;
                only_known_users_with_ad_tracking_disabled_are_listed,
                removals_are_queued_once_for_users_without_ad_tracking,
                a_claimed_removal_is_leased_and_finished_with_its_outcome,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::consent_conformance::$name(&*fixture).await;
            }
        )*
    };
}

const T0: i64 = 1_700_000_000_000;

async fn set_ad_tracking(store: &dyn Store, ws: WorkspaceId, users: &[(&str, bool)]) {
    let upserts = users
        .iter()
        .map(|(id, enabled)| UserUpsert {
            external_id: (*id).into(),
            ad_tracking_enabled: FieldUpdate::Set(*enabled),
            ..UserUpsert::default()
        })
        .collect();
    store.upsert_users(ws, upserts).await.unwrap();
}

fn removal(ws: WorkspaceId, user: &str, audience: &str) -> NewConsentRemoval {
    NewConsentRemoval {
        workspace_id: ws,
        external_id: user.into(),
        audience_id: audience.into(),
        canvas_id: CanvasId(1),
        step_id: StepId("add".into()),
    }
}

fn ids(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

pub async fn only_known_users_with_ad_tracking_disabled_are_listed(store: &dyn Store) {
    let ws = store.ensure_workspace("acme").await.unwrap().id;
    let other = store.ensure_workspace("other").await.unwrap().id;
    set_ad_tracking(
        store,
        ws,
        &[("off", false), ("on", true), ("it's \"quoted\" 🎯", false)],
    )
    .await;
    set_ad_tracking(store, other, &[("on", false)]).await;
    let found = store
        .users_without_ad_tracking(ws, ids(&["off", "on", "unknown", "it's \"quoted\" 🎯"]))
        .await
        .unwrap();
    let mut found: Vec<String> = found.into_iter().collect();
    found.sort();
    assert_eq!(found, ids(&["it's \"quoted\" 🎯", "off"]));
    assert!(
        store
            .users_without_ad_tracking(ws, Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
    let elsewhere = store
        .users_without_ad_tracking(other, ids(&["on", "off"]))
        .await
        .unwrap();
    assert_eq!(elsewhere.into_iter().collect::<Vec<_>>(), ids(&["on"]));
}

pub async fn removals_are_queued_once_for_users_without_ad_tracking(store: &dyn Store) {
    let ws = store.ensure_workspace("acme").await.unwrap().id;
    set_ad_tracking(store, ws, &[("off", false), ("on", true)]).await;
    let queued = store
        .enqueue_consent_removals(
            vec![
                removal(ws, "off", "aud-1"),
                removal(ws, "off", "aud-2"),
                removal(ws, "on", "aud-1"),
            ],
            T0,
        )
        .await
        .unwrap();
    assert_eq!(queued, 2, "only the user without ad tracking");
    let again = store
        .enqueue_consent_removals(vec![removal(ws, "off", "aud-1")], T0 + 1)
        .await
        .unwrap();
    assert_eq!(again, 0, "one pending removal per user and audience");
    let trace = store.consent_removals_of_user(ws, "off").await.unwrap();
    assert_eq!(trace.len(), 2);
    assert!(
        trace
            .iter()
            .all(|r| r.status == ConsentRemovalStatus::Pending && r.revoked_at == T0)
    );
    assert!(
        store
            .consent_removals_of_user(ws, "on")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_claimed_removal_is_leased_and_finished_with_its_outcome(store: &dyn Store) {
    let ws = store.ensure_workspace("acme").await.unwrap().id;
    set_ad_tracking(store, ws, &[("off", false)]).await;
    store
        .enqueue_consent_removals(vec![removal(ws, "off", "aud-1")], T0)
        .await
        .unwrap();
    let claim = |worker: &str, now: i64| ConsentClaim {
        worker: worker.into(),
        now,
        lease_until: now + 60_000,
        limit: 10,
    };
    let claimed = store.claim_consent_removals(claim("a", T0)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .claim_consent_removals(claim("b", T0 + 1))
            .await
            .unwrap()
            .is_empty(),
        "a leased removal is not claimed twice"
    );
    let id = claimed[0].id;
    store
        .finish_consent_removals(
            vec![id],
            "a",
            ConsentOutcome::Removed {
                request_id: Some("rid-1".into()),
                records: vec![(id, 2)],
            },
            T0 + 2,
        )
        .await
        .unwrap();
    let trace = store.consent_removals_of_user(ws, "off").await.unwrap();
    assert_eq!(trace.len(), 1);
    assert_eq!(trace[0].status, ConsentRemovalStatus::Removed);
    assert_eq!(trace[0].records, 2);
    assert_eq!(trace[0].request_ids, ids(&["rid-1"]));
    assert_eq!(trace[0].finished_at, Some(T0 + 2));
    assert!(
        store
            .claim_consent_removals(claim("b", T0 + 120_000))
            .await
            .unwrap()
            .is_empty(),
        "a finished removal is never claimed again"
    );
    // A later revocation of the same user and audience queues a new removal.
    let queued = store
        .enqueue_consent_removals(vec![removal(ws, "off", "aud-1")], T0 + 3)
        .await
        .unwrap();
    assert_eq!(queued, 1);
}
