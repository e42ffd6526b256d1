//! `POST /api/v1/canvases/{id}/steps/{step_id}/retry_errored` over real HTTP: users a revoked
//! token errored (past the retry horizon) are synced after the reconnect and the requeue, with
//! the counters adding up; unknown Canvases and steps, other step types, other workspaces and
//! a pinsync without a pipeline are refused with stable codes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::partners_support::{ALICE, ALICE_MAIN_ACCOUNT};
use crate::sync_support::{hashes, spawn_sync_app};

#[tokio::test]
async fn retry_errored_syncs_the_users_a_revoked_token_errored_once_pinterest_is_reconnected() {
    let sync = spawn_sync_app().await;
    sync.enter(1..=2).await;
    sync.sync().await;
    assert_eq!(sync.members(), hashes(1..=2));

    let (_, refresh) = sync.app.stored_tokens().await;
    sync.app
        .sandbox
        .sandbox
        .revoke_token(&refresh.unwrap())
        .unwrap();
    sync.enter(3..=6).await;
    sync.sync().await;
    assert_eq!(sync.step_metrics().await["pending"], 4, "held while paused");
    sync.clock.advance(Duration::from_secs(13 * 3_600 + 1));
    sync.pipeline().run_once().await.unwrap();
    let step = sync.step_metrics().await;
    assert_eq!(step["errored"]["by_reason"]["invalid_token"], 4, "{step}");
    assert_eq!(step["synced"], 2);

    sync.app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let response = sync.retry(&sync.canvas_id, "add").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "requeued": 4 })
    );
    let step = sync.step_metrics().await;
    assert_eq!(
        (step["pending"].as_u64(), step["errored"]["total"].as_u64()),
        (Some(4), Some(0))
    );

    sync.pipeline().run_once().await.unwrap();
    assert_eq!(sync.members(), hashes(1..=6));
    let step = sync.step_metrics().await;
    assert_eq!(
        (
            step["entered"].as_u64(),
            step["synced"].as_u64(),
            step["errored"]["total"].as_u64()
        ),
        (Some(6), Some(6), Some(0)),
        "{step}"
    );

    let again = sync.retry(&sync.canvas_id, "add").await;
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        json!({ "requeued": 0 })
    );
}

#[tokio::test]
async fn retry_errored_refuses_unknown_canvases_and_steps_and_other_step_types() {
    let sync = spawn_sync_app().await;
    let cases = [
        ("999999", "add", 404, "canvas_not_found"),
        (sync.canvas_id.as_str(), "nope", 404, "step_not_found"),
        (
            sync.canvas_id.as_str(),
            "wait",
            422,
            "not_an_audience_sync_step",
        ),
    ];
    for (canvas, step, status, code) in cases {
        let response = sync.retry(canvas, step).await;
        assert_eq!(response.status(), status, "{canvas}/{step}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], code, "{body}");
    }

    let other_workspace = sync.app.store.ensure_workspace("other").await.unwrap().id;
    let key = pinsync_server::api_keys::generate(other_workspace);
    sync.app.store.insert_api_key(key.stored).await.unwrap();
    let response = sync
        .app
        .client
        .post(sync.app.url(&format!(
            "/api/v1/canvases/{}/steps/add/retry_errored",
            sync.canvas_id
        )))
        .bearer_auth(&key.plaintext)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        404,
        "another workspace's Canvas is not found"
    );
}

#[tokio::test]
async fn retry_errored_answers_503_when_pinsync_runs_without_a_pipeline() {
    let app = crate::partners_support::spawn_pinterest_app().await;
    let definition = json!({
        "name": "No pipeline",
        "entry_step_id": "add",
        "steps": [{"id": "add", "name": "Add", "type": "audience_sync", "partner": "pinterest",
                   "ad_account_id": ALICE_MAIN_ACCOUNT, "action": "add", "match_fields": ["email"],
                   "audience": {"new": {"name": "N"}}, "next": null}]
    });
    let response = app
        .send_json(reqwest::Method::POST, "/api/v1/canvases", definition)
        .await;
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/canvases/{id}/steps/add/retry_errored"),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "pipeline_unavailable");
}
