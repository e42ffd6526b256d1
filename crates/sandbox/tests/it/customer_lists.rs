//! Customer lists with the reference's example bodies: counters, classification, the
//! per-request limit, the empty-create switch, status transitions and 404s.

use std::time::Duration;

use pinsync_sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    ALICE, CAROL, CAROL_ACCOUNT, SHARED_ACCOUNT, TestSandbox, assert_error, sha256_records,
    spawn_sandbox, spawn_with,
};

fn lists_path() -> String {
    format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists")
}

fn list_path(id: &str) -> String {
    format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists/{id}")
}

async fn members(sandbox: &TestSandbox, id: &str) -> Vec<String> {
    let answer = sandbox
        .control(Method::GET, &format!("/customer_lists/{id}/members"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut members: Vec<String> = serde_json::from_value(answer.body["members"].clone()).unwrap();
    members.sort();
    members
}

#[tokio::test]
async fn creating_a_list_with_the_reference_example_answers_200_with_pinterests_fields() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let created = sandbox
        .post(
            &alice,
            &lists_path(),
            json!({"name":"Nango Dryrun List 2026-07-09T10-40-46","records":"dryrun1@example.com,dryrun2@example.com"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    let list = &created.body;
    let id = list["id"].as_str().unwrap();
    assert!(id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(list["ad_account_id"], SHARED_ACCOUNT);
    assert_eq!(list["type"], "customerlist");
    assert_eq!(list["status"], "PROCESSING");
    assert_eq!(list["num_batches"], 1);
    assert_eq!(list["num_uploaded_user_records"], 2);
    assert_eq!(list["num_removed_user_records"], 0);
    assert_eq!(list["exceptions"], json!({}));
    assert_eq!(
        list["created_time"],
        pinsync_sandbox::Clock::now_secs(&sandbox.clock)
    );
    assert!(list["updated_time"].is_number());

    let fetched = sandbox.get(&alice, &list_path(id)).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, created.body);
}

#[tokio::test]
async fn add_counts_duplicates_and_remove_counts_misses_while_membership_stays_true() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let id = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "testadd1@example.com")
        .await;
    let added = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":"testadd1@example.com,testadd2@example.com"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);
    assert_eq!(added.body["num_batches"], 2);
    assert_eq!(added.body["num_uploaded_user_records"], 3);

    let removed = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"REMOVE","records":"email2@pinterest.com,email6@pinterest.com,testadd1@example.com,"}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(removed.body["num_batches"], 3);
    assert_eq!(removed.body["num_removed_user_records"], 3);
    assert_eq!(removed.body["num_uploaded_user_records"], 3);
    assert_eq!(
        members(&sandbox, &id).await,
        vec!["testadd2@example.com".to_string()]
    );
    let typed = sandbox.sandbox().list_members(&id).unwrap();
    assert_eq!(
        typed.into_iter().collect::<Vec<_>>(),
        vec!["testadd2@example.com".to_string()]
    );
}

#[tokio::test]
async fn invalid_records_are_reported_in_exceptions_without_failing_the_call() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let id = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "ok@example.com")
        .await;
    let md5 = "0cc175b9c0f1b6a831c399e269772661";
    let sha1 = "86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8";
    let sha256 = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    let records = format!("{md5}, {sha1} ,{sha256},Upper@Example.com,not-an-id,12345");
    let patched = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":records}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["num_uploaded_user_records"], 4);
    assert_eq!(patched.body["exceptions"]["invalid_record_count"], 3);
    assert_eq!(
        members(&sandbox, &id).await,
        vec![
            md5.to_string(),
            sha1.to_ascii_lowercase(),
            sha256.to_string(),
            "ok@example.com".to_string()
        ]
    );
    let clean = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":md5}),
        )
        .await;
    assert_eq!(clean.body["exceptions"], json!({}));
}

#[tokio::test]
async fn more_than_1900_records_in_one_request_are_refused() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let id = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let full = sha256_records(1_900, 1).join(",");
    let ok = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":full}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["num_uploaded_user_records"], 1_901);
    let too_many = sha256_records(1_901, 2).join(",");
    let refused = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":too_many}),
        )
        .await;
    assert_error(&refused, 400, 1);
    let created = sandbox
        .post(
            &alice,
            &lists_path(),
            json!({"name":"big","records":sha256_records(1_901, 3).join(",")}),
        )
        .await;
    assert_error(&created, 400, 1);
    assert_eq!(sandbox.sandbox().list_members(&id).unwrap().len(), 1_901);
}

#[tokio::test]
async fn the_records_limit_is_configurable() {
    let mut config = SandboxConfig::default();
    config.customer_lists.max_records_per_request = 3;
    let sandbox = spawn_with(config).await;
    let alice = sandbox.token(ALICE);
    let id = sandbox
        .create_list(
            &alice,
            SHARED_ACCOUNT,
            "a@example.com,b@example.com,c@example.com",
        )
        .await;
    let refused = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":"d@x.com,e@x.com,f@x.com,g@x.com"}),
        )
        .await;
    assert_error(&refused, 400, 1);
}

#[tokio::test]
async fn creating_a_list_with_empty_records_is_refused_by_default() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let refused = sandbox
        .post(&alice, &lists_path(), json!({"name":"empty","records":""}))
        .await;
    assert_error(&refused, 400, 1);
    let only_commas = sandbox
        .post(
            &alice,
            &lists_path(),
            json!({"name":"empty","records":" , ,"}),
        )
        .await;
    assert_error(&only_commas, 400, 1);
}

#[tokio::test]
async fn creating_a_list_with_empty_records_is_accepted_when_switched_on() {
    let mut config = SandboxConfig::default();
    config.customer_lists.allow_empty_create = true;
    let sandbox = spawn_with(config).await;
    let alice = sandbox.token(ALICE);
    let created = sandbox
        .post(&alice, &lists_path(), json!({"name":"empty","records":""}))
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["num_uploaded_user_records"], 0);
    assert_eq!(created.body["num_batches"], 1);
}

#[tokio::test]
async fn a_bad_operation_type_or_list_type_is_answered_400_code_1() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let id = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let bad_op = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"UPSERT","records":"b@example.com"}),
        )
        .await;
    assert_error(&bad_op, 400, 1);
    let bad_type = sandbox
        .post(
            &alice,
            &lists_path(),
            json!({"name":"x","records":"a@example.com","list_type":"PHONE"}),
        )
        .await;
    assert_error(&bad_type, 400, 1);
    let maid = sandbox
        .post(
            &alice,
            &lists_path(),
            json!({"name":"x","records":sha256_records(1, 9)[0],"list_type":"MAID"}),
        )
        .await;
    assert_eq!(maid.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_foreign_and_deleted_lists_answer_404() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let carol = sandbox.token(CAROL);
    assert_eq!(
        sandbox.get(&alice, &list_path("999999")).await.status,
        StatusCode::NOT_FOUND
    );
    let carols = sandbox
        .create_list(&carol, CAROL_ACCOUNT, "a@example.com")
        .await;
    // Carol can read the shared account too, but her list lives in another account.
    assert_eq!(
        sandbox.get(&carol, &list_path(&carols)).await.status,
        StatusCode::NOT_FOUND
    );

    let id = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let deleted = sandbox
        .control(Method::DELETE, &format!("/customer_lists/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = sandbox.get(&alice, &list_path(&id)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["message"], "Customer list not found.");
    let patch = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":"b@example.com"}),
        )
        .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    assert_eq!(sandbox.sandbox().list_members(&id), None);
}

#[tokio::test]
async fn a_list_leaves_processing_after_the_configured_delay() {
    let mut config = SandboxConfig::default();
    config.matching.match_fraction = 1.0;
    config.matching.processing_delay_secs = 60;
    let sandbox = spawn_with(config).await;
    let alice = sandbox.token(ALICE);
    let small = sandbox
        .create_list(&alice, SHARED_ACCOUNT, &sha256_records(99, 1).join(","))
        .await;
    let big = sandbox
        .create_list(&alice, SHARED_ACCOUNT, &sha256_records(100, 2).join(","))
        .await;
    sandbox.advance(Duration::from_secs(59));
    assert_eq!(
        sandbox.get(&alice, &list_path(&big)).await.body["status"],
        "PROCESSING"
    );
    sandbox.advance(Duration::from_secs(1));
    assert_eq!(
        sandbox.get(&alice, &list_path(&big)).await.body["status"],
        "READY"
    );
    assert_eq!(
        sandbox.get(&alice, &list_path(&small)).await.body["status"],
        "TOO_SMALL"
    );
}

#[tokio::test]
async fn a_raised_records_limit_accepts_bodies_beyond_axums_default_size() {
    let mut config = SandboxConfig::default();
    config.customer_lists.max_records_per_request = 40_000;
    let sandbox = spawn_with(config).await;
    let alice = sandbox.token(ALICE);
    let id = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    // 40,000 records of 65 bytes are about 2.6 MB, above axum's 2 MB default.
    let records = sha256_records(40_000, 4).join(",");
    let patched = sandbox
        .patch(
            &alice,
            &list_path(&id),
            json!({"operation_type":"ADD","records":records}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(sandbox.sandbox().list_members(&id).unwrap().len(), 40_001);
}
