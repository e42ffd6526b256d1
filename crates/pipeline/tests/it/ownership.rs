//! One rate budget per token across instances: two pipelines on one store, each an instance
//! with its own lease holder id. Only the connection's lease holder sends; a dead owner's
//! lease is taken over after its TTL, a released one at once, and the new owner sends once
//! the previous owner's requests have left every rate window (the handover quiet, 61 s); the
//! background loop renews the lease while it runs and gives it back when it stops.

use std::sync::Arc;
use std::time::Duration;

use pinsync_pipeline::{LeaseSettings, Ownership, Pipeline, PipelineSettings};
use pinsync_store::LeaseStore;

use crate::support::{Harness, T0, digests, sandbox_config, test_settings};

const LEASE: &str = "connection:conn-1";

fn leased(holder: &str) -> PipelineSettings {
    PipelineSettings {
        max_records_per_request: 100,
        ownership: Ownership::Leased(LeaseSettings::new(holder)),
        ..test_settings()
    }
}

/// A second instance over the harness's store, directory and clock.
fn second_instance(app: &Harness, holder: &str) -> Pipeline {
    Pipeline::new(
        app.store.clone(),
        Arc::new(app.directory.clone()),
        app.clock.clone(),
        leased(holder),
    )
}

/// The holder of the connection's live lease, if any.
async fn holder(app: &Harness) -> Option<String> {
    app.store
        .lease(LEASE)
        .await
        .unwrap()
        .filter(|lease| lease.is_live_at(app.now()))
        .map(|lease| lease.holder)
}

const QUIET: Duration = Duration::from_secs(61);

#[tokio::test]
async fn only_the_connections_lease_holder_sends() {
    let app = Harness::start_with(sandbox_config(), leased("instance-a")).await;
    let b = second_instance(&app, "instance-b");
    let (audience, list) = app.audience("owned").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 0..300).await;
    app.advance(Duration::from_secs(5));

    // Both instances see the same due partition at once; one of them sends all of it.
    let (a_pass, b_pass) = tokio::join!(app.pipeline.run_once(), b.run_once());
    let (a_pass, b_pass) = (a_pass.unwrap(), b_pass.unwrap());
    assert_eq!(
        a_pass.requests() + b_pass.requests(),
        3,
        "{a_pass:?} {b_pass:?}"
    );
    assert!(
        a_pass.requests() == 0 || b_pass.requests() == 0,
        "one instance sent: {a_pass:?} {b_pass:?}"
    );
    let (owner, other) = if a_pass.requests() > 0 {
        (&app.pipeline, &b)
    } else {
        (&b, &app.pipeline)
    };
    let owner_id = if a_pass.requests() > 0 {
        "instance-a"
    } else {
        "instance-b"
    };
    assert_eq!(holder(&app).await.as_deref(), Some(owner_id));

    // New users: the other instance finds them due and leaves them to the owner.
    app.enter(canvas, 300..400).await;
    app.advance(Duration::from_secs(5));
    let skipped = other.run_once().await.unwrap();
    assert_eq!(
        (skipped.requests(), skipped.not_owned_partitions),
        (0, 1),
        "{skipped:?}"
    );
    assert_eq!(app.pending_total().await, 100);
    let sent = owner.run_once().await.unwrap();
    assert_eq!(sent.requests(), 1);

    assert_eq!(app.patch_requests(200), 4);
    assert_eq!(app.members(&list), digests(0..400));
    let counts = app.step_counts(canvas).await;
    assert_eq!(
        (counts.entered, counts.synced, counts.pending),
        (400, 400, 0)
    );
}

#[tokio::test]
async fn a_dead_owners_connection_is_taken_over_after_the_ttl() {
    let mut app = Harness::start_with(sandbox_config(), leased("instance-a")).await;
    let b = second_instance(&app, "instance-b");
    let (audience, list) = app.audience("takeover").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 0..100).await;
    app.advance(Duration::from_secs(5));
    assert_eq!(app.run_once().await.requests(), 1);
    let taken_at = T0 + 5_000;
    assert_eq!(holder(&app).await.as_deref(), Some("instance-a"));

    // Instance a dies: its pipeline is gone without releasing anything.
    app.settings = leased("instance-c");
    app.reopen_pipeline();
    app.enter(canvas, 100..200).await;
    app.advance(Duration::from_secs(5));
    let waiting = b.run_once().await.unwrap();
    assert_eq!(
        (waiting.requests(), waiting.not_owned_partitions),
        (0, 1),
        "the dead owner's lease still runs"
    );
    app.advance(Duration::from_millis(4_999));
    assert_eq!(app.now(), taken_at + 9_999);
    assert_eq!(b.run_once().await.unwrap().requests(), 0);

    // The TTL (10 s) has passed since the dead owner's last renewal: b takes the lease, and
    // sends once the dead owner's requests have left every window.
    app.advance(Duration::from_millis(1));
    let quiet = b.run_once().await.unwrap();
    assert_eq!(
        (quiet.requests(), quiet.not_owned_partitions),
        (0, 1),
        "{quiet:?}"
    );
    assert_eq!(holder(&app).await.as_deref(), Some("instance-b"));
    assert!(!b.owns(&app.key), "held, but quiet");
    app.advance(QUIET - Duration::from_millis(1));
    assert_eq!(b.run_once().await.unwrap().requests(), 0);
    app.advance(Duration::from_millis(1));
    let taken = b.run_once().await.unwrap();
    assert_eq!(taken.requests(), 1, "{taken:?}");
    assert!(b.owns(&app.key));
    assert_eq!(app.members(&list), digests(0..200));
    let counts = app.step_counts(canvas).await;
    assert_eq!(
        (counts.entered, counts.synced, counts.pending),
        (200, 200, 0)
    );
}

#[tokio::test]
async fn a_released_lease_is_taken_over_at_once_and_used_after_the_quiet() {
    let app = Harness::start_with(sandbox_config(), leased("instance-a")).await;
    let b = second_instance(&app, "instance-b");
    let (audience, list) = app.audience("released").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 0..100).await;
    app.advance(Duration::from_secs(5));
    assert_eq!(app.run_once().await.requests(), 1);
    assert!(app.pipeline.owns(&app.key));

    app.pipeline.release_leases().await;
    let released_at = app.now();
    assert!(!app.pipeline.owns(&app.key));
    assert_eq!(holder(&app).await, None);
    app.enter(canvas, 100..200).await;
    app.advance(Duration::from_secs(5));
    assert_eq!(b.run_once().await.unwrap().requests(), 0);
    assert_eq!(
        holder(&app).await.as_deref(),
        Some("instance-b"),
        "taken at once, long before the released term's expiry"
    );
    app.advance(Duration::from_secs(55));
    assert_eq!(b.run_once().await.unwrap().requests(), 0, "still quiet");
    app.advance(Duration::from_secs(1));
    assert_eq!(app.now(), released_at + 61_000);
    assert_eq!(b.run_once().await.unwrap().requests(), 1);
    assert_eq!(app.members(&list), digests(0..200));
}

#[tokio::test]
async fn the_background_loop_renews_its_lease_and_releases_it_when_stopped() {
    let settings = PipelineSettings {
        tick: Duration::from_millis(1),
        ownership: Ownership::Leased(LeaseSettings {
            heartbeat: Duration::from_millis(5),
            ..LeaseSettings::new("instance-a")
        }),
        ..leased("unused")
    };
    let app = Harness::start_with(sandbox_config(), settings).await;
    let (audience, list) = app.audience("heartbeat").await;
    let canvas = app.canvas_known(&audience, &list, "add").await;
    app.enter(canvas, 0..100).await;
    app.advance(Duration::from_secs(5));

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = app.pipeline.clone();
    let background = tokio::spawn(async move {
        running
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    while app.pending_total().await > 0 {
        tokio::task::yield_now().await;
    }
    let first = app.store.lease(LEASE).await.unwrap().unwrap();
    assert_eq!(first.holder, "instance-a");

    // Time passes with nothing to send: the heartbeat keeps the lease past its first term.
    app.advance(Duration::from_secs(8));
    loop {
        let lease = app.store.lease(LEASE).await.unwrap().unwrap();
        if lease.expires_at >= app.now() + 10_000 {
            assert_eq!(
                lease.acquired_at, first.acquired_at,
                "renewed, not re-taken"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let _ = stop.send(());
    background.await.unwrap();
    let released = app.store.lease(LEASE).await.unwrap().unwrap();
    assert_eq!(released.expires_at, app.now(), "released on shutdown");
    assert!(!app.pipeline.owns(&app.key));
    assert_eq!(app.members(&list), digests(0..100));
}

#[test]
fn lease_settings_keep_the_ttl_within_ten_seconds_and_the_heartbeat_under_half() {
    let mut settings = LeaseSettings::new("i");
    assert_eq!(settings.validate(), Ok(()));
    settings.ttl = Duration::from_secs(11);
    assert!(settings.validate().is_err());
    settings.ttl = Duration::from_secs(6);
    assert!(settings.validate().is_err(), "3 s heartbeat is half of 6 s");
    settings.heartbeat = Duration::from_secs(2);
    assert_eq!(settings.validate(), Ok(()));
    settings.holder.clear();
    assert!(settings.validate().is_err());
    assert_ne!(
        LeaseSettings::for_this_process().holder,
        LeaseSettings::for_this_process().holder
    );
}
