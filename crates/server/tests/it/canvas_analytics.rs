//! Step analytics over HTTP: the Braze-shaped summary and series, and a property test that
//! drives random journeys (entries, time, pipeline outcomes) and checks after every operation
//! that the invariants hold and the counters equal a recount from the raw rows.

use std::time::Duration;

use pinsync_core::canvas::StepId;
use pinsync_core::reason::ReasonCode;
use pinsync_store::{CanvasId, SyncDetail, SyncOutcome};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::canvas_support::{
    CanvasApp, canvas, delay_step, retargeting_canvas, spawn_canvas_app, split_step, sync_step,
};

#[tokio::test]
async fn data_summary_and_series_are_shaped_like_the_established_api() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([{"external_user_id": "u1", "attributes": {"email": "a@b.co", "plan": "gold"}}]),
    )
    .await;
    app.advance(Duration::from_secs(86_400)).await;

    let (status, summary) = app
        .get(&format!("/canvas/data_summary?canvas_id={id}"))
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["message"], "success");
    assert_eq!(
        summary["data"]["total_stats"],
        json!({"entries": 1, "exits": 1})
    );
    assert_eq!(
        summary["data"]["step_stats"]["remove"]["total_stats"]["pending"],
        1
    );

    let (status, series) = app
        .get(&format!(
            "/canvas/data_series?canvas_id={id}&length=3&ending_at=2026-03-04"
        ))
        .await;
    assert_eq!(status, 200, "{series}");
    let stats = series["data"]["stats"].as_array().unwrap();
    let days: Vec<&str> = stats.iter().map(|d| d["time"].as_str().unwrap()).collect();
    assert_eq!(days, vec!["2026-03-02", "2026-03-03", "2026-03-04"]);
    assert_eq!(stats[0]["total_stats"]["entries"], 1);
    assert_eq!(
        stats[1]["total_stats"]["exits"], 1,
        "the user exited on the next day"
    );
    assert_eq!(
        stats[1]["step_stats"]["wait"]["total_stats"]["proceeded"],
        1
    );

    let (status, error) = app
        .get(&format!("/canvas/data_series?canvas_id={id}&length=0"))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (422, Some("invalid_length"))
    );
}

/// Checks both invariants on every step, and that the counters equal a recount.
async fn check_invariants(app: &CanvasApp, id: &str) {
    let canvas = CanvasId(id.parse().unwrap());
    let (status, analytics) = app.get(&format!("/canvases/{id}/analytics")).await;
    assert_eq!(status, 200);
    for step in analytics["steps"].as_array().unwrap() {
        let n = |field: &str| step[field].as_u64().unwrap();
        assert_eq!(n("entered"), n("proceeded") + n("in_step"), "{step}");
        if step["type"] == "audience_sync" {
            let not_synced = step["not_synced"]["total"].as_u64().unwrap();
            let errored = step["errored"]["total"].as_u64().unwrap();
            assert_eq!(
                n("entered"),
                n("synced") + not_synced + errored + n("pending"),
                "{step}"
            );
        }
    }
    let counters = app.store.canvas_counts(canvas).await.unwrap();
    let recount = app.store.recount_canvas(canvas).await.unwrap();
    assert_eq!(counters, recount);
}

#[derive(Debug, Clone)]
enum Operation {
    Enter(Vec<(u8, u8, bool, bool)>),
    Advance(u32),
    Complete(Vec<u8>),
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        prop::collection::vec((0u8..12, 0u8..4, any::<bool>(), any::<bool>()), 1..6)
            .prop_map(Operation::Enter),
        (0u32..200_000).prop_map(Operation::Advance),
        prop::collection::vec(0u8..4, 1..6).prop_map(Operation::Complete),
    ]
}

fn random_canvas(shape: u8) -> Value {
    let mut definition = match shape % 3 {
        0 => retargeting_canvas(),
        1 => canvas(
            "split",
            vec![
                split_step("split", "plan", json!("gold"), Some("a"), Some("wait")),
                sync_step("a", json!(["email"]), Some("wait")),
                delay_step("wait", 3600, Some("b")),
                sync_step("b", json!(["gaid", "idfa"]), None),
            ],
        ),
        _ => canvas(
            "w1",
            vec![
                delay_step("w1", 60, Some("s1")),
                sync_step("s1", json!(["email", "idfa"]), Some("w2")),
                delay_step("w2", 7200, None),
            ],
        ),
    };
    if shape >= 3 {
        definition["reentry"] = json!("after_exit");
    }
    definition
}

fn recipient(user: u8, identifiers: u8, gold: bool, tracking: bool) -> Value {
    let mut attributes =
        json!({"plan": if gold { "gold" } else { "free" }, "ad_tracking_enabled": tracking});
    if identifiers & 1 == 1 {
        attributes["email"] = json!(format!("user{user}@example.com"));
    }
    if identifiers & 2 == 2 {
        attributes["gaid"] = json!(format!("38400000-8cf0-11bd-b23e-10b96e4000{user:02}"));
    }
    json!({"external_user_id": format!("u{user}"), "attributes": attributes})
}

async fn run_journeys(shape: u8, operations: Vec<Operation>) {
    let app = spawn_canvas_app().await;
    let definition = random_canvas(shape);
    let id = app.launched(definition.clone()).await;
    let canvas = CanvasId(id.parse().unwrap());
    let sync_steps: Vec<String> = definition["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["type"] == "audience_sync")
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    for operation in operations {
        match operation {
            Operation::Enter(users) => {
                let recipients: Vec<Value> = users
                    .iter()
                    .map(|&(user, ids, gold, tracking)| recipient(user, ids, gold, tracking))
                    .collect();
                let (status, body) = app.trigger(&id, Value::Array(recipients)).await;
                assert_eq!(status, 201, "{body}");
            }
            Operation::Advance(seconds) => {
                app.advance(Duration::from_secs(u64::from(seconds))).await;
            }
            Operation::Complete(outcomes) => {
                let mut completions = Vec::new();
                for step in &sync_steps {
                    let items = app
                        .store
                        .sync_items(canvas, &StepId::new(step.as_str()), None, 4)
                        .await
                        .unwrap();
                    for (item, pick) in items.iter().zip(outcomes.iter().cycle()) {
                        let detail = SyncDetail {
                            request_ids: vec![format!("req-{}", item.id.0)],
                        };
                        let outcome = match pick {
                            0 => SyncOutcome::Synced { detail },
                            1 => SyncOutcome::Errored {
                                reason: ReasonCode::RateLimited,
                                detail,
                            },
                            2 => SyncOutcome::NotSynced {
                                reason: ReasonCode::ConsentRevoked,
                                detail,
                            },
                            _ => continue,
                        };
                        completions.push((item.id, outcome));
                    }
                }
                app.store
                    .complete_sync_items(completions, app.engine.now())
                    .await
                    .unwrap();
            }
        }
        check_invariants(&app, &id).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn counters_hold_their_invariants_and_match_a_recount_after_random_journeys(
        shape in 0u8..6,
        operations in prop::collection::vec(operation(), 1..10),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_journeys(shape, operations));
    }
}
