//! `users/track` and the user profile: storing, errors, atomicity and workspace isolation.

use serde_json::{Value, json};

use crate::support::{error_body, spawn_app};

fn user(i: usize) -> Value {
    json!({"external_id": format!("u{i}"), "email": format!("User{i}@Example.com")})
}

#[tokio::test]
async fn tracked_users_are_stored_and_their_profile_shows_only_validity() {
    let app = spawn_app().await;
    let body = json!({"attributes": [
        {"external_id": "u1", "email": "  Alice@Example.COM ", "gaid": "38400000-8CF0-11BD-B23E-10B96E40000D",
         "idfa": "00000000-0000-0000-0000-000000000000", "ad_tracking_enabled": true,
         "plan": "gold", "ltv": 120},
        {"external_id": "u2", "email": "not-an-email"}
    ]});
    let response = app.post_track(body.to_string()).await;
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["users_created"], 2);
    assert_eq!(
        answer["warnings"],
        json!([
            {"index": 0, "field": "idfa", "reason": "zero_id"},
            {"index": 1, "field": "email", "reason": "invalid_format"},
        ])
    );

    let profile: Value = app
        .client
        .get(app.url("/api/v1/users/u1"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        profile["identifiers"]["email"],
        json!({"present": true, "valid": true, "reason": null})
    );
    assert_eq!(profile["identifiers"]["gaid"]["valid"], true);
    assert_eq!(profile["identifiers"]["idfa"]["reason"], "zero_id");
    assert_eq!(profile["attributes"], json!({"plan": "gold", "ltv": 120}));
    let text = profile.to_string().to_lowercase();
    assert!(
        !text.contains("alice"),
        "no raw email in the profile: {text}"
    );

    let stored = app.store.user(app.workspace, "u1").await.unwrap().unwrap();
    let expected = pinsync_core::identifier::hash_identifier(
        pinsync_core::identifier::IdentifierKind::Email,
        Some("alice@example.com"),
    )
    .unwrap();
    assert_eq!(stored.email.sha256.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn a_missing_or_bad_key_is_refused_with_401() {
    let app = spawn_app().await;
    let body = json!({"attributes": [user(1)]}).to_string();
    let response = app
        .client
        .post(app.url("/api/v1/users/track"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(error_body(response).await["code"], "unauthorized");
    let response = app
        .client
        .post(app.url("/api/v1/users/track"))
        .bearer_auth("psk_not-a-real-key")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(app.store.count_users(app.workspace).await.unwrap(), 0);
}

#[tokio::test]
async fn malformed_json_gets_400_naming_the_line_and_stores_nothing() {
    let app = spawn_app().await;
    let response = app
        .post_track("{\"attributes\": [\n  {\"external_id\": \"u1\",}\n]}")
        .await;
    assert_eq!(response.status(), 400);
    let body = error_body(response).await;
    assert_eq!(body["code"], "malformed_json");
    assert_eq!(body["details"]["line"], 2);
    assert!(
        body["message"].as_str().unwrap().contains("line 2"),
        "{body}"
    );
    assert_eq!(app.store.count_users(app.workspace).await.unwrap(), 0);
}

#[tokio::test]
async fn a_body_over_16_mib_gets_413() {
    let app = spawn_app().await;
    let padding = "x".repeat(20 * 1024 * 1024);
    let body = format!("{{\"attributes\": [], \"padding\": \"{padding}\"}}");
    let response = app.post_track(body).await;
    assert_eq!(response.status(), 413);
    let body = error_body(response).await;
    assert_eq!(body["code"], "payload_too_large");
    assert_eq!(body["details"]["limit_bytes"], 16 * 1024 * 1024);
}

#[tokio::test]
async fn more_than_10000_users_get_422_and_nothing_is_stored() {
    let app = spawn_app().await;
    let users: Vec<Value> = (0..10_001).map(user).collect();
    let response = app
        .post_track(json!({"attributes": users}).to_string())
        .await;
    assert_eq!(response.status(), 422);
    let body = error_body(response).await;
    assert_eq!(body["code"], "too_many_users");
    assert_eq!(body["details"]["limit"], 10_000);
    assert_eq!(app.store.count_users(app.workspace).await.unwrap(), 0);

    let users: Vec<Value> = (0..10_000).map(user).collect();
    let response = app
        .post_track(json!({"attributes": users}).to_string())
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.store.count_users(app.workspace).await.unwrap(), 10_000);
}

#[tokio::test]
async fn one_malformed_entry_refuses_the_whole_call_listing_every_problem() {
    let app = spawn_app().await;
    let body = json!({"attributes": [
        user(1),
        {"email": "a@b.co"},
        {"external_id": 7, "ad_tracking_enabled": "yes"},
        "not an object",
        user(5),
    ]});
    let response = app.post_track(body.to_string()).await;
    assert_eq!(response.status(), 422);
    let body = error_body(response).await;
    assert_eq!(body["code"], "invalid_users");
    let errors: Vec<(u64, String)> = body["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (1, "missing_external_id".to_owned()),
            (2, "invalid_type".to_owned()),
            (2, "invalid_type".to_owned()),
            (3, "not_an_object".to_owned()),
        ]
    );
    assert_eq!(
        app.store.count_users(app.workspace).await.unwrap(),
        0,
        "atomic"
    );
}

#[tokio::test]
async fn a_body_without_an_attributes_array_gets_422() {
    let app = spawn_app().await;
    for body in ["[]", "{}", "{\"attributes\": 3}", "null"] {
        let response = app.post_track(body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(error_body(response).await["code"], "invalid_request");
    }
    let response = app.post_track("").await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_key_sees_only_its_own_workspace() {
    let app = spawn_app().await;
    app.post_track(json!({"attributes": [user(1)]}).to_string())
        .await;
    let other_key = app.key_for("other").await;
    let response = app
        .client
        .get(app.url("/api/v1/users/u1"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(error_body(response).await["code"], "not_found");
}

#[tokio::test]
async fn names_that_look_like_markup_or_sql_are_stored_verbatim() {
    let app = spawn_app().await;
    let nasty = "<script>alert(1)</script>'; DROP TABLE users; --🎉";
    let body = json!({"attributes": [{"external_id": nasty, "nickname": nasty}]});
    assert_eq!(app.post_track(body.to_string()).await.status(), 201);
    let stored = app.store.user(app.workspace, nasty).await.unwrap().unwrap();
    assert_eq!(stored.attributes["nickname"], nasty);
    assert_eq!(app.store.count_users(app.workspace).await.unwrap(), 1);
}
