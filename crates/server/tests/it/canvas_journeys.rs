//! Journeys over HTTP on a manual clock: delays crossed by advancing time and running the
//! timer, decision splits on current attributes, stopping, the hand-over to the pipeline and
//! its completion, the user trace, and the dry run.

use std::time::Duration;

use pinsync_core::canvas::StepId;
use pinsync_core::reason::ReasonCode;
use pinsync_store::{CanvasId, SyncDetail, SyncOutcome};
use serde_json::json;

use crate::canvas_support::{retargeting_canvas, spawn_canvas_app};

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn users_wait_in_a_delay_until_the_timer_runs_after_it_ends() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([{"external_user_id": "u1", "attributes": {"email": "a@b.co", "plan": "gold"}}]),
    )
    .await;
    assert_eq!(app.step(&id, "wait").await["in_step"], 1);

    assert_eq!(
        app.advance(DAY - Duration::from_secs(1)).await,
        0,
        "not due yet"
    );
    assert_eq!(app.step(&id, "wait").await["in_step"], 1);

    assert_eq!(app.advance(Duration::from_secs(1)).await, 1);
    let wait = app.step(&id, "wait").await;
    assert_eq!(
        (wait["in_step"].as_u64(), wait["proceeded"].as_u64()),
        (Some(0), Some(1))
    );
    let remove = app.step(&id, "remove").await;
    assert_eq!(
        (remove["entered"].as_u64(), remove["pending"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(remove["exited"], 1);
}

#[tokio::test]
async fn a_decision_split_reads_the_attributes_current_when_the_user_reaches_it() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([
            {"external_user_id": "gold", "attributes": {"email": "g@b.co", "plan": "free"}},
            {"external_user_id": "free", "attributes": {"email": "f@b.co", "plan": "gold"}}
        ]),
    )
    .await;
    let update = json!({"attributes": [
        {"external_id": "gold", "plan": "gold"},
        {"external_id": "free", "plan": "free"}
    ]});
    let (status, _) = app.post("/users/track", update).await;
    assert_eq!(status, 201);
    app.advance(DAY).await;
    let split = app.step(&id, "gold").await;
    assert_eq!(
        (split["entered"].as_u64(), split["exited"].as_u64()),
        (Some(2), Some(1))
    );
    let (_, trace) = app.get(&format!("/canvases/{id}/users/gold")).await;
    let steps: Vec<&str> = trace["journeys"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step_id"].as_str().unwrap())
        .collect();
    assert_eq!(steps, vec!["add", "wait", "gold", "remove"]);
}

#[tokio::test]
async fn a_stopped_canvas_keeps_waiting_users_where_they_are_until_relaunched() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([{"external_user_id": "u1", "attributes": {"email": "a@b.co"}}]),
    )
    .await;
    app.post(&format!("/canvases/{id}/stop"), json!({})).await;
    assert_eq!(app.advance(DAY * 2).await, 0);
    assert_eq!(app.step(&id, "wait").await["in_step"], 1);
    app.post(&format!("/canvases/{id}/launch"), json!({})).await;
    assert_eq!(app.engine.run_due_timers().await.unwrap(), 1);
    assert_eq!(app.step(&id, "wait").await["in_step"], 0);
}

#[tokio::test]
async fn pending_syncs_of_a_stopped_canvas_still_complete_and_show_in_the_trace() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([
            {"external_user_id": "u1", "attributes": {"email": "a@b.co", "gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}},
            {"external_user_id": "u2", "attributes": {"email": "c@d.co"}}
        ]),
    )
    .await;
    app.post(&format!("/canvases/{id}/stop"), json!({})).await;
    let canvas = CanvasId(id.parse().unwrap());
    let items = app
        .store
        .sync_items(canvas, &StepId::new("add"), None, 10)
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].external_id, "u1");
    assert_eq!(
        items[0].identifiers.len(),
        2,
        "email and gaid are both match fields"
    );
    let report = app
        .store
        .complete_sync_items(
            vec![
                (
                    items[0].id,
                    SyncOutcome::Synced {
                        detail: SyncDetail {
                            request_ids: vec!["req-1".into()],
                        },
                    },
                ),
                (
                    items[1].id,
                    SyncOutcome::Errored {
                        reason: ReasonCode::AccessLost,
                        detail: SyncDetail::default(),
                    },
                ),
                (
                    items[1].id,
                    SyncOutcome::Synced {
                        detail: SyncDetail::default(),
                    },
                ),
            ],
            app.engine.now(),
        )
        .await
        .unwrap();
    assert_eq!((report.completed, report.unknown), (2, 1));
    let add = app.step(&id, "add").await;
    assert_eq!(add["pending"], 0);
    assert_eq!(add["synced"], 1);
    assert_eq!(add["errored"]["by_reason"], json!({"access_lost": 1}));

    let (status, trace) = app.get(&format!("/canvases/{id}/users/u1")).await;
    assert_eq!(status, 200, "{trace}");
    let sync = &trace["journeys"][0]["steps"][0]["sync"];
    assert_eq!(sync["outcome"], "synced");
    assert_eq!(sync["request_ids"], json!(["req-1"]));
    assert_eq!(trace["journeys"][0]["waiting_in"], "wait");
    let (_, trace) = app.get(&format!("/canvases/{id}/users/u2")).await;
    let sync = &trace["journeys"][0]["steps"][0]["sync"];
    assert_eq!(sync["reason"], "access_lost");
    assert!(
        sync["reason_description"]
            .as_str()
            .is_some_and(|d| d.contains("ad account"))
    );
}

#[tokio::test]
async fn the_trace_says_why_a_user_was_not_synced_and_never_shows_raw_identifiers() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([
            {"external_user_id": "off", "attributes": {"email": "secret@b.co", "ad_tracking_enabled": false}},
            {"external_user_id": "bad", "attributes": {"email": "nope", "gaid": "00000000-0000-0000-0000-000000000000"}}
        ]),
    )
    .await;
    let (_, off) = app.get(&format!("/canvases/{id}/users/off")).await;
    let step = &off["journeys"][0]["steps"][0];
    assert_eq!(step["sync"]["outcome"], "not_synced");
    assert_eq!(step["sync"]["reason"], "ad_tracking_disabled");
    assert!(
        step["entered_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-02T00:00:00")
    );
    assert!(!off.to_string().contains("secret"));
    let (_, bad) = app.get(&format!("/canvases/{id}/users/bad")).await;
    assert_eq!(
        bad["journeys"][0]["steps"][0]["sync"]["reason"],
        "no_match_fields"
    );
    let (status, body) = app.get(&format!("/canvases/{id}/users/stranger")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("user_not_in_canvas"))
    );
}

#[tokio::test]
async fn the_dry_run_counts_would_sync_and_not_synced_per_step_without_entering_anyone() {
    let app = spawn_canvas_app().await;
    let id = app.create(retargeting_canvas()).await;
    let users = json!({"attributes": [
        {"external_id": "a", "email": "a@b.co", "plan": "gold"},
        {"external_id": "b", "email": "b@b.co", "plan": "free"},
        {"external_id": "c", "plan": "gold"},
        {"external_id": "d", "email": "d@b.co", "ad_tracking_enabled": false}
    ]});
    app.post("/users/track", users).await;
    let (status, body) = app
        .post(&format!("/canvases/{id}/dry_run"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let report = &body["dry_run"];
    assert_eq!(report["users"], 4);
    assert_eq!(report["steps"]["add"]["would_sync"], 2);
    assert_eq!(
        report["steps"]["add"]["not_synced"],
        json!({"missing": 1, "ad_tracking_disabled": 1})
    );
    assert_eq!(report["steps"]["remove"]["entered"], 2);
    assert_eq!(report["steps"]["remove"]["would_sync"], 1);
    assert_eq!(
        report["steps"]["remove"]["not_synced"],
        json!({"missing": 1})
    );

    let (_, listed) = app
        .post(
            &format!("/canvases/{id}/dry_run"),
            json!({"external_ids": ["a", "zz"]}),
        )
        .await;
    assert_eq!(listed["dry_run"]["users"], 1);
    assert_eq!(listed["dry_run"]["unknown_users"], 1);
    assert_eq!(app.step(&id, "add").await["entered"], 0);
}
