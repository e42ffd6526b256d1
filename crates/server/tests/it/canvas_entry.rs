//! Entering users over HTTP: `trigger/send` (atomic, per-index errors, limits, lifecycle),
//! bulk NDJSON and CSV entry with bad rows, encodings, and the re-entry policy.

use serde_json::{Value, json};

use crate::canvas_support::{canvas, retargeting_canvas, spawn_canvas_app, sync_step};

fn one_step_canvas() -> Value {
    canvas("add", vec![sync_step("add", json!(["email"]), None)])
}

#[tokio::test]
async fn trigger_send_upserts_attributes_then_enters_the_recipients() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    let (status, body) = app
        .trigger(
            &id,
            json!([
                {"external_user_id": "u1", "attributes": {"email": "A@B.co", "plan": "gold"},
                 "canvas_entry_properties": {"coupon": "X1"}},
                {"external_user_id": "u2"}
            ]),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["message"], "success");
    assert_eq!(body["entered"], 2);
    assert!(body["dispatch_id"].as_str().is_some_and(|d| !d.is_empty()));
    let profile = app.store.user(app.workspace, "u1").await.unwrap().unwrap();
    assert_eq!(profile.attributes["plan"], "gold");
    assert_eq!(profile.email.status, "valid");
    let add = app.step(&id, "add").await;
    assert_eq!(add["entered"], 2);
    assert_eq!(add["pending"], 1);
    assert_eq!(add["not_synced"]["by_reason"], json!({"missing": 1}));
}

#[tokio::test]
async fn trigger_send_with_any_bad_recipient_enters_nobody_and_lists_each_by_index() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    let (status, body) = app
        .trigger(
            &id,
            json!([
                {"external_user_id": "ok"},
                {"attributes": {"email": "x@y.co"}},
                {"external_user_id": "u3", "attributes": {"email": 42}},
                "nope",
                {"external_user_id": "u5", "canvas_entry_properties": [1]}
            ]),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid_recipients");
    let errors: Vec<(u64, String)> = body["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (1, "external_user_id".to_owned()),
            (2, "attributes.email".to_owned()),
            (3, String::new()),
            (4, "canvas_entry_properties".to_owned()),
        ]
    );
    assert!(app.store.user(app.workspace, "ok").await.unwrap().is_none());
    assert_eq!(app.step(&id, "add").await["entered"], 0);
}

#[tokio::test]
async fn trigger_send_refuses_more_than_ten_thousand_recipients() {
    let app = spawn_canvas_app().await;
    let id = app.launched(one_step_canvas()).await;
    let recipients: Vec<Value> = (0..10_001)
        .map(|i| json!({"external_user_id": format!("u{i}")}))
        .collect();
    let (status, body) = app.trigger(&id, Value::Array(recipients)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("too_many_recipients"))
    );
}

#[tokio::test]
async fn draft_stopped_and_archived_canvases_refuse_entries_with_409() {
    let app = spawn_canvas_app().await;
    let id = app.create(one_step_canvas()).await;
    let one = json!([{"external_user_id": "u1"}]);
    let (status, body) = app.trigger(&id, one.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_draft"))
    );
    app.post(&format!("/canvases/{id}/launch"), json!({})).await;
    app.post(&format!("/canvases/{id}/stop"), json!({})).await;
    let (status, body) = app.trigger(&id, one.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_stopped"))
    );
    let (status, body) = app
        .post_raw(
            &format!("/canvases/{id}/entries"),
            "application/x-ndjson",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_stopped"))
    );
    app.post(&format!("/canvases/{id}/archive"), json!({}))
        .await;
    let (status, body) = app.trigger(&id, one).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_archived"))
    );
}

#[tokio::test]
async fn by_default_a_user_enters_a_canvas_only_once() {
    let app = spawn_canvas_app().await;
    let id = app.launched(one_step_canvas()).await;
    let user = json!([{"external_user_id": "u1", "attributes": {"email": "a@b.co"}}]);
    let (_, first) = app.trigger(&id, user.clone()).await;
    let (_, second) = app.trigger(&id, user).await;
    assert_eq!(
        (
            first["entered"].as_u64(),
            first["already_in_canvas"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(
        (
            second["entered"].as_u64(),
            second["already_in_canvas"].as_u64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(app.step(&id, "add").await["entered"], 1);
}

#[tokio::test]
async fn with_after_exit_a_user_may_enter_again_once_exited_but_not_while_inside() {
    let app = spawn_canvas_app().await;
    let mut definition = retargeting_canvas();
    definition["reentry"] = json!("after_exit");
    let id = app.launched(definition).await;
    let user = json!([{"external_user_id": "u1", "attributes": {"email": "a@b.co"}}]);
    app.trigger(&id, user.clone()).await;
    let (_, inside) = app.trigger(&id, user.clone()).await;
    assert_eq!(inside["already_in_canvas"], 1, "still waiting in the delay");
    app.advance(std::time::Duration::from_secs(86_400)).await;
    let (_, again) = app.trigger(&id, user).await;
    assert_eq!(
        again["entered"], 1,
        "exited at the split, so may enter again"
    );
    assert_eq!(app.step(&id, "add").await["entered"], 2);
    let (_, trace) = app.get(&format!("/canvases/{id}/users/u1")).await;
    assert_eq!(trace["journeys"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bulk_ndjson_enters_good_rows_and_lists_bad_ones_by_line() {
    let app = spawn_canvas_app().await;
    let id = app.launched(one_step_canvas()).await;
    let body = [
        r#"{"external_user_id":"u1","email":"one@example.com","attributes":{"plan":"gold"}}"#,
        r#"{"external_user_id":"u2","email":"not-an-email"}"#,
        "",
        r#"{"email":"orphan@example.com"}"#,
        r#"{"external_user_id":"u3","email":"three@example.com","ad_tracking_enabled":false}"#,
        "this is not json",
        r#"{"external_user_id":"u1","email":"one@example.com"}"#,
    ]
    .join("\n");
    let (status, answer) = app
        .post_raw(
            &format!("/canvases/{id}/entries"),
            "application/x-ndjson",
            body.into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let summary = &answer["summary"];
    assert_eq!(summary["entered"], 3);
    assert_eq!(summary["already_in_canvas"], 1);
    assert_eq!(summary["rejected"], 2);
    let lines: Vec<u64> = summary["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 6]);
    let add = app.step(&id, "add").await;
    assert_eq!(add["pending"], 1);
    assert_eq!(
        add["not_synced"]["by_reason"],
        json!({"invalid_format": 1, "ad_tracking_disabled": 1})
    );
}

#[tokio::test]
async fn bulk_csv_maps_columns_and_keeps_others_as_attributes() {
    let app = spawn_canvas_app().await;
    let id = app.launched(one_step_canvas()).await;
    let body = "external_user_id,email,ad_tracking_enabled,plan\r\n\
                u1,one@example.com,true,gold\r\n\
                u2,,false,\"silver, old\"\r\n\
                u3,three@example.com\r\n";
    let (status, answer) = app
        .post_raw(
            &format!("/canvases/{id}/entries"),
            "text/csv; charset=utf-8",
            body.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["summary"]["entered"], 2);
    assert_eq!(answer["summary"]["bad_rows"][0]["line"], 4);
    let u2 = app.store.user(app.workspace, "u2").await.unwrap().unwrap();
    assert_eq!(u2.attributes["plan"], "silver, old");
    assert!(!u2.ad_tracking_enabled);
}

#[tokio::test]
async fn a_non_utf8_line_is_a_400_that_names_it_and_earlier_chunks_stay_committed() {
    let app = spawn_canvas_app_with_chunk(1).await;
    let id = app.launched(one_step_canvas()).await;
    let mut body = b"{\"external_user_id\":\"u1\"}\n{\"external_user_id\":\"u2\"}\n".to_vec();
    body.extend_from_slice(b"{\"external_user_id\":\"\xff\xfe\"}\n");
    let (status, answer) = app
        .post_raw(
            &format!("/canvases/{id}/entries"),
            "application/x-ndjson",
            body,
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "invalid_encoding");
    assert_eq!(answer["details"]["line"], 3);
    assert_eq!(answer["details"]["committed"]["entered"], 2);
}

#[tokio::test]
async fn bulk_entry_needs_a_known_content_type_and_a_usable_csv_header() {
    let app = spawn_canvas_app().await;
    let id = app.launched(one_step_canvas()).await;
    let (status, body) = app
        .post_raw(
            &format!("/canvases/{id}/entries"),
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (status, body) = app
        .post_raw(
            &format!("/canvases/{id}/entries"),
            "text/csv",
            b"email,plan\na@b.co,x\n".to_vec(),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_csv_header"))
    );
}

async fn spawn_canvas_app_with_chunk(users: usize) -> crate::canvas_support::CanvasApp {
    crate::canvas_support::spawn_canvas_app_with(pinsync_engine::EngineSettings {
        entry_chunk_users: users,
        ..Default::default()
    })
    .await
}
