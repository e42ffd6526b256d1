//! Audiences: create with the reference's example, validation of the rule, status and size
//! transitions driven by the match universe, UPDATE and REMOVE.

use std::time::Duration;

use pinsync_sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    ALICE, ALICE_ONLY_ACCOUNT, SHARED_ACCOUNT, TestSandbox, assert_error, sha256_records,
    spawn_sandbox, spawn_with,
};

fn audiences_path(account: &str) -> String {
    format!("/ad_accounts/{account}/audiences")
}

async fn create_audience(sandbox: &TestSandbox, token: &str, list_id: &str) -> serde_json::Value {
    let created = sandbox
        .post(
            token,
            &audiences_path(SHARED_ACCOUNT),
            json!({"name":"Braze - VIP buyers","audience_type":"CUSTOMER_LIST",
                   "rule":{"customer_list_id":list_id},"description":"synced by Canvas"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    created.body
}

fn config_with_fraction(fraction: f64) -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.matching.match_fraction = fraction;
    config.matching.processing_delay_secs = 3_600;
    config
}

#[tokio::test]
async fn creating_an_audience_with_the_reference_example_starts_initializing_at_size_0() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, &sha256_records(500, 1).join(","))
        .await;
    let audience = create_audience(&sandbox, &alice, &list).await;
    assert_eq!(audience["type"], "audience");
    assert!(
        audience["id"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit())
    );
    assert_eq!(audience["ad_account_id"], SHARED_ACCOUNT);
    assert_eq!(audience["audience_type"], "CUSTOMER_LIST");
    assert_eq!(audience["status"], "INITIALIZING");
    assert_eq!(audience["size"], 0);
    assert_eq!(audience["rule"]["customer_list_id"], list.as_str());
    assert_eq!(audience["description"], "synced by Canvas");
    assert!(audience["created_timestamp"].is_u64());
    assert!(audience["updated_timestamp"].is_u64());
    let id = audience["id"].as_str().unwrap();
    let fetched = sandbox
        .get(&alice, &format!("{}/{id}", audiences_path(SHARED_ACCOUNT)))
        .await;
    assert_eq!(fetched.body, audience);
}

#[tokio::test]
async fn an_audience_must_point_at_a_list_of_the_same_ad_account() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let foreign = sandbox
        .create_list(&alice, ALICE_ONLY_ACCOUNT, "a@example.com")
        .await;
    let body = |list: &str, kind: &str| json!({"name":"x","audience_type":kind,"rule":{"customer_list_id":list}});
    let path = audiences_path(SHARED_ACCOUNT);
    assert_error(
        &sandbox
            .post(&alice, &path, body(&foreign, "CUSTOMER_LIST"))
            .await,
        400,
        1,
    );
    assert_error(
        &sandbox
            .post(&alice, &path, body("777", "CUSTOMER_LIST"))
            .await,
        400,
        1,
    );
    let own = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    assert_error(
        &sandbox
            .post(&alice, &path, body(&own, "customer_list"))
            .await,
        400,
        1,
    );
    assert_error(
        &sandbox.post(&alice, &path, body(&own, "VISITOR")).await,
        400,
        1,
    );
    assert_eq!(
        sandbox
            .post(&alice, &path, body(&own, "CUSTOMER_LIST"))
            .await
            .status,
        StatusCode::OK
    );
}

async fn status_after_processing(
    fraction: f64,
    members: usize,
) -> (serde_json::Value, serde_json::Value) {
    let sandbox = spawn_with(config_with_fraction(fraction)).await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    for chunk in sha256_records(members, 5).chunks(1_900) {
        let patched = sandbox
            .patch(
                &alice,
                &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists/{list}"),
                json!({"operation_type":"ADD","records":chunk.join(",")}),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK);
    }
    // Removing the plain email keeps only the hashed members.
    sandbox
        .patch(
            &alice,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists/{list}"),
            json!({"operation_type":"REMOVE","records":"a@example.com"}),
        )
        .await;
    let audience = create_audience(&sandbox, &alice, &list).await;
    let path = format!(
        "{}/{}",
        audiences_path(SHARED_ACCOUNT),
        audience["id"].as_str().unwrap()
    );
    sandbox.advance(Duration::from_secs(3_599));
    assert_eq!(
        sandbox.get(&alice, &path).await.body["status"],
        "INITIALIZING"
    );
    sandbox.advance(Duration::from_secs(1));
    let ready = sandbox.get(&alice, &path).await.body;
    (ready["status"].clone(), ready["size"].clone())
}

#[tokio::test]
async fn an_audience_becomes_ready_with_its_matched_size_after_processing() {
    let (status, size) = status_after_processing(1.0, 150).await;
    assert_eq!(status, "READY");
    assert_eq!(size, 150);
}

#[tokio::test]
async fn an_audience_with_fewer_than_100_matched_members_is_too_small() {
    let (status, size) = status_after_processing(1.0, 99).await;
    assert_eq!(status, "TOO_SMALL");
    assert_eq!(size, 0);
    let (status, _) = status_after_processing(0.0, 5_000).await;
    assert_eq!(status, "TOO_SMALL");
}

#[tokio::test]
async fn the_size_counts_only_members_in_the_match_universe() {
    let (status, size) = status_after_processing(0.6, 4_000).await;
    assert_eq!(status, "READY");
    let size = size.as_u64().unwrap();
    assert!(
        (2_200..=2_600).contains(&size),
        "size {size} is not about 60% of 4000"
    );
}

#[tokio::test]
async fn an_audience_can_be_renamed_and_removed() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let audience = create_audience(&sandbox, &alice, &list).await;
    let path = format!(
        "{}/{}",
        audiences_path(SHARED_ACCOUNT),
        audience["id"].as_str().unwrap()
    );
    sandbox.advance(Duration::from_secs(5));
    let renamed = sandbox
        .patch(
            &alice,
            &path,
            json!({"operation_type":"UPDATE","name":"renamed","description":"new"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["name"], "renamed");
    assert_eq!(renamed.body["description"], "new");
    assert_eq!(
        renamed.body["updated_timestamp"].as_u64().unwrap(),
        audience["created_timestamp"].as_u64().unwrap() + 5
    );
    assert_error(
        &sandbox
            .patch(&alice, &path, json!({"operation_type":"DELETE"}))
            .await,
        400,
        1,
    );
    let removed = sandbox
        .patch(&alice, &path, json!({"operation_type":"REMOVE"}))
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    let gone = sandbox.get(&alice, &path).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["message"], "Audience not found.");
    let listed = sandbox.get(&alice, &audiences_path(SHARED_ACCOUNT)).await;
    assert_eq!(listed.body["items"], json!([]));
}

#[tokio::test]
async fn an_audience_deleted_through_the_control_api_answers_404() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let audience = create_audience(&sandbox, &alice, &list).await;
    let id = audience["id"].as_str().unwrap();
    let deleted = sandbox
        .control(Method::DELETE, &format!("/audiences/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let path = format!("{}/{id}", audiences_path(SHARED_ACCOUNT));
    assert_eq!(
        sandbox.get(&alice, &path).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sandbox
            .patch(&alice, &path, json!({"name":"x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
