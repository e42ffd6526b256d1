//! The lease area's conformance suite: named, time-limited leases (one holder at a time,
//! renewal, takeover after expiry, release, and when the previous term ended), generic over
//! [`pinsync_store::LeaseStore`] and stamped out per backend by [`lease_conformance_suite!`].

use pinsync_store::Store;

/// Stamps out one `#[tokio::test]` per lease conformance test for a backend.
#[macro_export]
macro_rules! lease_conformance_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            $crate::lease_conformance_suite!(@tests $make;
                a_free_lease_goes_to_the_first_holder_only,
                the_holder_renews_and_keeps_its_acquired_at,
                an_expired_lease_is_taken_over,
                a_release_frees_only_the_holders_own_lease,
                the_holder_starts_a_new_term_after_its_own_lapsed,
                live_leases_are_listed_by_prefix,
                concurrent_acquirers_of_one_lease_have_exactly_one_winner,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::lease_conformance::$name(&*fixture).await;
            }
        )*
    };
}

const T0: i64 = 1_700_000_000_000;
const TTL: i64 = 10_000;

pub async fn a_free_lease_goes_to_the_first_holder_only(store: &dyn Store) {
    assert_eq!(store.lease("connection:1").await.unwrap(), None);
    assert!(
        store
            .try_acquire_lease("connection:1", "a", T0, TTL)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_acquire_lease("connection:1", "b", T0 + 1, TTL)
            .await
            .unwrap(),
        "a live lease of another holder is refused"
    );
    let lease = store.lease("connection:1").await.unwrap().unwrap();
    assert_eq!(
        (
            lease.holder.as_str(),
            lease.acquired_at,
            lease.expires_at,
            lease.previous_term_ended_at
        ),
        ("a", T0, T0 + TTL, None)
    );
    assert!(lease.is_live_at(T0 + TTL - 1));
    assert!(!lease.is_live_at(T0 + TTL));
    // Another name is another lease.
    assert!(
        store
            .try_acquire_lease("connection:2", "b", T0, TTL)
            .await
            .unwrap()
    );
}

pub async fn the_holder_renews_and_keeps_its_acquired_at(store: &dyn Store) {
    assert!(store.try_acquire_lease("l", "a", T0, TTL).await.unwrap());
    assert!(
        store
            .try_acquire_lease("l", "a", T0 + 3_000, TTL)
            .await
            .unwrap()
    );
    let lease = store.lease("l").await.unwrap().unwrap();
    assert_eq!(
        (
            lease.acquired_at,
            lease.expires_at,
            lease.previous_term_ended_at
        ),
        (T0, T0 + 3_000 + TTL, None)
    );
    // The renewal pushed the expiry: at the first term's end, b still cannot take it.
    assert!(
        !store
            .try_acquire_lease("l", "b", T0 + TTL, TTL)
            .await
            .unwrap()
    );
}

pub async fn an_expired_lease_is_taken_over(store: &dyn Store) {
    assert!(store.try_acquire_lease("l", "a", T0, TTL).await.unwrap());
    assert!(
        !store
            .try_acquire_lease("l", "b", T0 + TTL - 1, TTL)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_acquire_lease("l", "b", T0 + TTL, TTL)
            .await
            .unwrap(),
        "a lease is free from its expiry on"
    );
    let lease = store.lease("l").await.unwrap().unwrap();
    assert_eq!(
        (
            lease.holder.as_str(),
            lease.acquired_at,
            lease.expires_at,
            lease.previous_term_ended_at
        ),
        ("b", T0 + TTL, T0 + 2 * TTL, Some(T0 + TTL)),
        "a new term, which knows when the old one ended"
    );
    // The old holder lost it: its late renewal is refused.
    assert!(
        !store
            .try_acquire_lease("l", "a", T0 + TTL + 1, TTL)
            .await
            .unwrap()
    );
}

pub async fn a_release_frees_only_the_holders_own_lease(store: &dyn Store) {
    assert!(store.try_acquire_lease("l", "a", T0, TTL).await.unwrap());
    assert!(!store.release_lease("l", "b", T0 + 1_000).await.unwrap());
    let lease = store.lease("l").await.unwrap().unwrap();
    assert_eq!((lease.holder.as_str(), lease.expires_at), ("a", T0 + TTL));
    assert!(store.release_lease("l", "a", T0 + 1_000).await.unwrap());
    let released = store.lease("l").await.unwrap().unwrap();
    assert_eq!(
        released.expires_at,
        T0 + 1_000,
        "the term ends at the release"
    );
    assert!(!released.is_live_at(T0 + 1_000));
    assert!(
        !store.release_lease("l", "a", T0 + 2_000).await.unwrap(),
        "a lapsed term is not released again"
    );
    assert_eq!(
        store.lease("l").await.unwrap().unwrap().expires_at,
        T0 + 1_000
    );
    assert!(
        store
            .try_acquire_lease("l", "b", T0 + 1_500, TTL)
            .await
            .unwrap(),
        "a released lease is free at once, before its old expiry"
    );
    let taken = store.lease("l").await.unwrap().unwrap();
    assert_eq!(
        (
            taken.holder.as_str(),
            taken.acquired_at,
            taken.previous_term_ended_at
        ),
        ("b", T0 + 1_500, Some(T0 + 1_000))
    );
}

pub async fn the_holder_starts_a_new_term_after_its_own_lapsed(store: &dyn Store) {
    assert!(store.try_acquire_lease("l", "a", T0, TTL).await.unwrap());
    assert!(
        store
            .try_acquire_lease("l", "a", T0 + 2 * TTL, TTL)
            .await
            .unwrap()
    );
    let lease = store.lease("l").await.unwrap().unwrap();
    assert_eq!(
        (lease.acquired_at, lease.previous_term_ended_at),
        (T0 + 2 * TTL, Some(T0 + TTL))
    );
}

pub async fn live_leases_are_listed_by_prefix(store: &dyn Store) {
    assert!(
        store
            .try_acquire_lease("instance:a", "a", T0, TTL)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_acquire_lease("instance:b", "b", T0 + 5_000, TTL)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_acquire_lease("instance_x", "x", T0, TTL)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_acquire_lease("connection:1", "a", T0, TTL)
            .await
            .unwrap()
    );
    let names =
        |leases: Vec<pinsync_store::Lease>| leases.into_iter().map(|l| l.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.live_leases("instance:", T0 + 1).await.unwrap()),
        ["instance:a", "instance:b"]
    );
    assert_eq!(
        names(store.live_leases("instance:", T0 + TTL).await.unwrap()),
        ["instance:b"],
        "an expired lease is not live"
    );
    assert_eq!(
        names(store.live_leases("instance_", T0 + 1).await.unwrap()),
        ["instance_x"],
        "the prefix is literal, not a pattern"
    );
}

pub async fn concurrent_acquirers_of_one_lease_have_exactly_one_winner(store: &dyn Store) {
    for round in 0..5 {
        let name = format!("race:{round}");
        let (a, b, c, d) = tokio::join!(
            store.try_acquire_lease(&name, "a", T0, TTL),
            store.try_acquire_lease(&name, "b", T0, TTL),
            store.try_acquire_lease(&name, "c", T0, TTL),
            store.try_acquire_lease(&name, "d", T0, TTL),
        );
        let won = [a, b, c, d].map(|r| r.unwrap());
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
        let holder = store.lease(&name).await.unwrap().unwrap().holder;
        let winner = ["a", "b", "c", "d"][won.iter().position(|w| *w).unwrap()];
        assert_eq!(holder, winner);
    }
}
