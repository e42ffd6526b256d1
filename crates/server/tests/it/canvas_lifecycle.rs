//! Canvas CRUD and lifecycle over HTTP: create, read, list, update, duplicate, launch (and
//! every way it fails), stop, archive, the edits a launched Canvas accepts, the OpenAPI file.

use serde_json::{Value, json};

use crate::canvas_support::{canvas, delay_step, retargeting_canvas, spawn_canvas_app, sync_step};

#[tokio::test]
async fn a_created_canvas_is_a_draft_that_reads_back_and_lists() {
    let app = spawn_canvas_app().await;
    let id = app.create(retargeting_canvas()).await;
    let (status, body) = app.get(&format!("/canvases/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "draft");
    assert_eq!(body["definition"]["steps"].as_array().unwrap().len(), 4);
    assert_eq!(body["problems"], json!([]));
    let (_, list) = app.get("/canvases").await;
    assert_eq!(list["canvases"][0]["id"], id.as_str());
}

#[tokio::test]
async fn a_malformed_definition_is_refused_with_the_field_at_fault() {
    let app = spawn_canvas_app().await;
    let mut definition = retargeting_canvas();
    definition["steps"][1]["duration_seconds"] = json!("soon");
    let (status, body) = app.post("/canvases", definition).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "malformed_json");
    assert_eq!(body["details"]["field"], "steps[1].duration_seconds");
}

#[tokio::test]
async fn launch_lists_every_problem_with_its_step_and_changes_nothing() {
    let app = spawn_canvas_app().await;
    let mut definition = canvas(
        "add",
        vec![
            sync_step("add", json!([]), Some("wait")),
            delay_step("wait", 0, Some("nowhere")),
        ],
    );
    definition["steps"][0]["ad_account_id"] = json!("");
    let id = app.create(definition).await;
    let (status, body) = app.post(&format!("/canvases/{id}/launch"), json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "canvas_invalid");
    let problems: Vec<(String, String)> = body["details"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert!(p["message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                p["step_id"].as_str().unwrap_or("").to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("add", "ad_account_missing"),
        ("add", "match_fields_empty"),
        ("wait", "delay_zero"),
        ("wait", "next_step_unknown"),
    ] {
        assert!(
            problems.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {problems:?}"
        );
    }
    let (_, after) = app.get(&format!("/canvases/{id}")).await;
    assert_eq!(after["status"], "draft");
    assert_eq!(after["launched_at"], Value::Null);
}

#[tokio::test]
async fn launch_stop_relaunch_and_archive_follow_the_lifecycle() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    let (status, body) = app.post(&format!("/canvases/{id}/launch"), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_active"))
    );

    let (status, body) = app.post(&format!("/canvases/{id}/stop"), json!({})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("stopped")));
    let (status, body) = app.post(&format!("/canvases/{id}/stop"), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_stopped"))
    );

    let (status, body) = app.post(&format!("/canvases/{id}/launch"), json!({})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("active")));

    let (status, body) = app
        .post(&format!("/canvases/{id}/archive"), json!({}))
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("archived")));
    let (status, body) = app.post(&format!("/canvases/{id}/launch"), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_archived"))
    );
    let (status, body) = app
        .put(&format!("/canvases/{id}"), retargeting_canvas())
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("canvas_is_archived"))
    );

    let (_, list) = app.get("/canvases").await;
    assert_eq!(list["canvases"], json!([]));
    let (_, all) = app.get("/canvases?include_archived=true").await;
    assert_eq!(all["canvases"][0]["status"], "archived");
}

#[tokio::test]
async fn unknown_and_foreign_canvases_are_not_found() {
    let app = spawn_canvas_app().await;
    let id = app.create(retargeting_canvas()).await;
    for path in ["/canvases/999", "/canvases/abc"] {
        let (status, body) = app.get(path).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("canvas_not_found"))
        );
    }
    let other = app.store.ensure_workspace("other").await.unwrap().id;
    let key = pinsync_server::api_keys::generate(other);
    let plaintext = key.plaintext.clone();
    app.store.insert_api_key(key.stored).await.unwrap();
    let response = app
        .client
        .get(app.url(&format!("/canvases/{id}")))
        .bearer_auth(plaintext)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_duplicate_is_a_new_draft_that_must_create_its_own_new_audience() {
    let app = spawn_canvas_app().await;
    let mut definition = retargeting_canvas();
    definition["steps"][0]["audience"] =
        json!({"new": {"name": "VIP", "created": {"audience_id": "1", "customer_list_id": "2"}}});
    let id = app.launched(definition).await;
    let (status, copy) = app
        .post(&format!("/canvases/{id}/duplicate"), json!({}))
        .await;
    assert_eq!(status, 201, "{copy}");
    assert_ne!(copy["id"], id.as_str());
    assert_eq!(copy["status"], "draft");
    assert_eq!(copy["name"], "Test canvas (copy)");
    assert_eq!(
        copy["definition"]["steps"][0]["audience"],
        json!({"new": {"name": "VIP"}})
    );
}

#[tokio::test]
async fn a_launched_canvas_accepts_renames_and_delay_changes() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([{"external_user_id": "u1", "attributes": {"email": "a@b.co"}}]),
    )
    .await;
    let mut edited = retargeting_canvas();
    edited["name"] = json!("Renamed");
    edited["steps"][1]["duration_seconds"] = json!(3600);
    edited["steps"][2]["condition"]["value"] = json!("platinum");
    let (status, body) = app.put(&format!("/canvases/{id}"), edited).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Renamed");
    assert_eq!(body["status"], "active");
}

#[tokio::test]
async fn a_launched_canvas_refuses_removing_a_used_step_or_changing_a_sync_audience() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    app.trigger(
        &id,
        json!([{"external_user_id": "u1", "attributes": {"email": "a@b.co"}}]),
    )
    .await;
    let mut edited = retargeting_canvas();
    edited["steps"][0]["next"] = json!(null);
    edited["steps"].as_array_mut().unwrap().truncate(1);
    edited["steps"][0]["audience"] = json!({"existing": {"audience_id": "777"}});
    let (status, body) = app.put(&format!("/canvases/{id}"), edited).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "edit_not_allowed");
    let text = body["details"]["problems"].to_string();
    assert!(text.contains("`wait` holds users"), "{text}");
    assert!(
        text.contains("audience of audience-sync step `add`"),
        "{text}"
    );
    let (_, after) = app.get(&format!("/canvases/{id}")).await;
    assert_eq!(after["definition"]["steps"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_launched_canvas_may_drop_a_step_nobody_entered() {
    let app = spawn_canvas_app().await;
    let id = app.launched(retargeting_canvas()).await;
    let mut edited = retargeting_canvas();
    edited["steps"][2]["yes"] = json!(null);
    edited["steps"].as_array_mut().unwrap().truncate(3);
    let (status, body) = app.put(&format!("/canvases/{id}"), edited).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["definition"]["steps"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_openapi_document_is_served_and_names_the_canvas_endpoints() {
    let app = spawn_canvas_app().await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for path in [
        "/canvases",
        "/canvases/{id}",
        "/canvases/{id}/launch",
        "/canvases/{id}/entries",
        "/canvas/trigger/send",
        "/canvas/data_summary",
        "/canvas/data_series",
        "/canvases/{id}/analytics",
        "/canvases/{id}/users/{external_id}",
        "/canvases/{id}/dry_run",
    ] {
        assert!(
            document["paths"].get(path).is_some(),
            "{path} is not documented"
        );
    }
}
