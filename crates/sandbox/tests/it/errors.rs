//! Error bodies and the headers every answer carries.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ALICE, SHARED_ACCOUNT, answer, assert_error, spawn_sandbox};

#[tokio::test]
async fn a_missing_or_unknown_token_gets_the_observed_401_body() {
    let sandbox = spawn_sandbox().await;
    let response = sandbox
        .http
        .get(format!("{}/ad_accounts", sandbox.running.api_url()))
        .send()
        .await
        .unwrap();
    let missing = answer(response).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.body,
        json!({ "code": 2, "message": "Authentication failed.", "status": "failure" })
    );
    assert_error(&sandbox.get("pina_unknown", "/ad_accounts").await, 401, 2);
}

#[tokio::test]
async fn every_answer_carries_an_x_pinterest_rid() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let answers = [
        sandbox.get(&alice, "/ad_accounts").await,
        sandbox.get("bad", "/ad_accounts").await,
        sandbox
            .get(
                &alice,
                &format!("/ad_accounts/{SHARED_ACCOUNT}/audiences/1"),
            )
            .await,
        sandbox.control(Method::GET, "/seed", None).await,
    ];
    let mut ids: Vec<String> = answers
        .iter()
        .map(|a| a.headers["x-pinterest-rid"].to_str().unwrap().to_owned())
        .collect();
    let consent = sandbox
        .http
        .get(sandbox.running.oauth_url())
        .send()
        .await
        .unwrap();
    ids.push(
        consent.headers()["x-pinterest-rid"]
            .to_str()
            .unwrap()
            .to_owned(),
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "request ids must be distinct");
}

#[tokio::test]
async fn malformed_input_is_answered_400_code_1() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    assert_error(
        &sandbox.get(&alice, "/ad_accounts/not-a-number").await,
        400,
        1,
    );
    let response = sandbox
        .http
        .post(format!(
            "{}/ad_accounts/{SHARED_ACCOUNT}/customer_lists",
            sandbox.running.api_url()
        ))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(&answer(response).await, 400, 1);
    let missing_name = sandbox
        .post(
            &alice,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists"),
            json!({ "records": "a@example.com" }),
        )
        .await;
    assert_error(&missing_name, 400, 1);
}
