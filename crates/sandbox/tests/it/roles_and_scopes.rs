//! Scopes (401 code 3), roles (403 code 29), role changes at run time, and the ad-account
//! and user-account endpoints.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    ALICE, ALICE_ONLY_ACCOUNT, BOB, CAROL, CAROL_ACCOUNT, SHARED_ACCOUNT, assert_error,
    spawn_sandbox,
};

fn list_body() -> serde_json::Value {
    json!({ "name": "VIP", "records": "a@example.com,b@example.com" })
}

#[tokio::test]
async fn a_token_without_ads_write_cannot_create_a_list() {
    let sandbox = spawn_sandbox().await;
    let reader = sandbox.token_with(ALICE, &["ads:read"]);
    let created = sandbox
        .post(
            &reader,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists"),
            list_body(),
        )
        .await;
    assert_error(&created, 401, 3);
}

#[tokio::test]
async fn a_token_without_ads_read_cannot_read() {
    let sandbox = spawn_sandbox().await;
    let writer = sandbox.token_with(ALICE, &["ads:write"]);
    assert_error(&sandbox.get(&writer, "/ad_accounts").await, 401, 3);
    let path = format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists");
    assert_error(&sandbox.get(&writer, &path).await, 401, 3);
    assert_eq!(
        sandbox.post(&writer, &path, list_body()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_user_account_needs_user_accounts_read() {
    let sandbox = spawn_sandbox().await;
    let ads_only = sandbox.token(ALICE);
    assert_error(&sandbox.get(&ads_only, "/user_account").await, 401, 3);
    let token = sandbox.token_with(ALICE, &["user_accounts:read"]);
    let account = sandbox.get(&token, "/user_account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.body["username"], ALICE);
    assert_eq!(account.body["id"], "1099300727702429001");
    assert_eq!(account.body["account_type"], "BUSINESS");
}

#[tokio::test]
async fn an_analyst_can_read_an_ad_account_but_not_write_to_it() {
    let sandbox = spawn_sandbox().await;
    let bob = sandbox.token(BOB);
    let account = sandbox
        .get(&bob, &format!("/ad_accounts/{SHARED_ACCOUNT}"))
        .await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.body["permissions"], json!(["ANALYST"]));
    assert_eq!(account.body["owner"]["username"], ALICE);
    let path = format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists");
    assert_eq!(sandbox.get(&bob, &path).await.status, StatusCode::OK);
    assert_error(&sandbox.post(&bob, &path, list_body()).await, 403, 29);
}

#[tokio::test]
async fn an_audience_manager_and_an_admin_can_write() {
    let sandbox = spawn_sandbox().await;
    let carol = sandbox.token(CAROL);
    for account in [SHARED_ACCOUNT, CAROL_ACCOUNT] {
        let created = sandbox
            .post(
                &carol,
                &format!("/ad_accounts/{account}/customer_lists"),
                list_body(),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{account}");
    }
}

#[tokio::test]
async fn a_user_without_a_role_gets_403_code_29_and_does_not_see_the_account() {
    let sandbox = spawn_sandbox().await;
    let bob = sandbox.token(BOB);
    assert_error(
        &sandbox
            .get(&bob, &format!("/ad_accounts/{ALICE_ONLY_ACCOUNT}"))
            .await,
        403,
        29,
    );
    assert_error(
        &sandbox
            .get(
                &bob,
                &format!("/ad_accounts/{ALICE_ONLY_ACCOUNT}/audiences"),
            )
            .await,
        403,
        29,
    );
    let listed = sandbox.get(&bob, "/ad_accounts").await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![SHARED_ACCOUNT, CAROL_ACCOUNT]);
}

#[tokio::test]
async fn removing_a_role_takes_effect_on_the_next_call() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let path = format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists/{list}");
    let patch = json!({ "operation_type": "ADD", "records": "b@example.com" });
    assert_eq!(
        sandbox.patch(&alice, &path, patch.clone()).await.status,
        StatusCode::OK
    );

    let removed = sandbox
        .control(
            Method::DELETE,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/roles/{ALICE}"),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_error(&sandbox.patch(&alice, &path, patch.clone()).await, 403, 29);
    assert_error(&sandbox.get(&alice, &path).await, 403, 29);

    let downgraded = sandbox
        .control(
            Method::PUT,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/roles/{ALICE}"),
            Some(json!({ "role": "ANALYST" })),
        )
        .await;
    assert_eq!(downgraded.status, StatusCode::NO_CONTENT);
    assert_eq!(sandbox.get(&alice, &path).await.status, StatusCode::OK);
    assert_error(&sandbox.patch(&alice, &path, patch).await, 403, 29);

    let bogus = sandbox
        .control(
            Method::PUT,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/roles/{ALICE}"),
            Some(json!({ "role": "EMPEROR" })),
        )
        .await;
    assert_eq!(bogus.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_seed_lists_the_app_users_and_roles() {
    let sandbox = spawn_sandbox().await;
    let seed = sandbox.control(Method::GET, "/seed", None).await;
    assert_eq!(seed.status, StatusCode::OK);
    assert_eq!(seed.body["app"]["client_id"], "1234567");
    assert_eq!(seed.body["app"]["client_secret"], "sandbox-secret");
    assert_eq!(seed.body["users"].as_array().unwrap().len(), 3);
    let shared = seed.body["ad_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == SHARED_ACCOUNT)
        .unwrap();
    assert_eq!(shared["roles"]["1099300727702429002"], "ANALYST");
}
