//! Each rate limit, the optional headers, runtime changes, and the window statistics that
//! prove a client stayed within them.

use std::time::Duration;

use pinsync_sandbox::{RateLimitConfig, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    ALICE, CAROL, SHARED_ACCOUNT, TestSandbox, assert_error, spawn_sandbox, spawn_with,
};

fn with_limits(limits: RateLimitConfig) -> SandboxConfig {
    SandboxConfig {
        rate_limits: limits,
        ..SandboxConfig::default()
    }
}

async fn write(sandbox: &TestSandbox, token: &str, list: &str) -> StatusCode {
    sandbox
        .patch(
            token,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists/{list}"),
            json!({"operation_type":"ADD","records":"a@example.com"}),
        )
        .await
        .status
}

/// Sends `n` writes and returns how many were accepted.
async fn accepted_writes(sandbox: &TestSandbox, token: &str, list: &str, n: usize) -> usize {
    let mut accepted = 0;
    for _ in 0..n {
        if write(sandbox, token, list).await == StatusCode::OK {
            accepted += 1;
        }
    }
    accepted
}

#[tokio::test]
async fn the_eighth_write_in_a_second_is_answered_429_code_8() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    // The create is the first write of this second.
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 6).await, 6);
    let limited = sandbox
        .patch(
            &alice,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists/{list}"),
            json!({"operation_type":"ADD","records":"a@example.com"}),
        )
        .await;
    assert_error(&limited, 429, 8);
    assert!(limited.body.get("message_detail").is_none());
    assert!(
        limited.headers.get("retry-after").is_none(),
        "headers are off by default"
    );
    // The limit is per user: Carol is unaffected.
    let carol = sandbox.token(CAROL);
    assert_eq!(write(&sandbox, &carol, &list).await, StatusCode::OK);
    sandbox.advance(Duration::from_secs(1));
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 8).await, 7);
}

#[tokio::test]
async fn at_most_400_writes_a_minute_are_accepted() {
    let sandbox = spawn_with(with_limits(RateLimitConfig {
        ads_write_per_second: 0,
        all_per_second: 0,
        ..RateLimitConfig::default()
    }))
    .await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 400).await, 399);
    // Refill is continuous: 400 per 60 s is one every 150 ms.
    sandbox.advance(Duration::from_millis(150));
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 2).await, 1);
    sandbox.advance(Duration::from_secs(60));
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 401).await, 400);
}

#[tokio::test]
async fn at_most_1000_reads_a_minute_are_accepted() {
    let sandbox = spawn_with(with_limits(RateLimitConfig {
        all_per_second: 0,
        ..RateLimitConfig::default()
    }))
    .await;
    let alice = sandbox.token(ALICE);
    let mut accepted = 0;
    for _ in 0..1_001 {
        if sandbox.get(&alice, "/ad_accounts").await.status == StatusCode::OK {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1_000);
    assert_error(&sandbox.get(&alice, "/ad_accounts").await, 429, 8);
}

#[tokio::test]
async fn at_most_100_requests_a_second_are_accepted_across_categories() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let mut accepted = 0;
    for _ in 0..101 {
        if sandbox.get(&alice, "/ad_accounts").await.status == StatusCode::OK {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 100);
    let list_write = sandbox
        .post(
            &alice,
            &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists"),
            json!({"name":"x","records":"a@example.com"}),
        )
        .await;
    assert_error(&list_write, 429, 8);
    sandbox.advance(Duration::from_secs(1));
    assert_eq!(
        sandbox.get(&alice, "/ad_accounts").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn rate_limit_headers_are_sent_when_switched_on() {
    let sandbox = spawn_with(with_limits(RateLimitConfig {
        emit_headers: true,
        ..RateLimitConfig::default()
    }))
    .await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let path = format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists/{list}");
    let body = json!({"operation_type":"ADD","records":"a@example.com"});
    let first = sandbox.patch(&alice, &path, body.clone()).await;
    assert_eq!(first.headers["x-ratelimit-limit"], "7");
    assert_eq!(first.headers["x-ratelimit-remaining"], "5");
    for _ in 0..5 {
        sandbox.patch(&alice, &path, body.clone()).await;
    }
    let limited = sandbox.patch(&alice, &path, body).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers["retry-after"], "1");
    assert_eq!(limited.headers["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn limits_can_be_changed_at_run_time() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let mut limits = sandbox.control(Method::GET, "/limits", None).await.body;
    assert_eq!(limits["ads_write_per_second"], 7);
    limits["enabled"] = json!(false);
    let updated = sandbox.control(Method::PUT, "/limits", Some(limits)).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 20).await, 20);
}

#[tokio::test]
async fn stats_report_the_busiest_1_second_and_60_second_windows_per_token() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    // t = 0: the create and 3 writes; t = 0.5 s: 7 writes, the bucket (3 + 3.5 tokens) takes 6;
    // t = 1.1 s: 3 writes. The busiest second, (-0.5 s, 0.5 s], holds 11 requests.
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 3).await, 3);
    sandbox.advance(Duration::from_millis(500));
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 7).await, 6);
    sandbox.advance(Duration::from_millis(600));
    assert_eq!(accepted_writes(&sandbox, &alice, &list, 3).await, 3);

    let stats = sandbox.control(Method::GET, "/stats", None).await.body;
    let tokens = stats["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    let token = &tokens[0];
    assert!(token["token_id"].as_str().unwrap().starts_with("tok_"));
    assert!(
        !token.to_string().contains(&alice),
        "the token itself is never reported"
    );
    assert_eq!(token["user_id"], "1099300727702429001");
    assert_eq!(token["requests"], 14);
    assert_eq!(token["rate_limited"], 1);
    assert_eq!(token["max_in_1s"], 11);
    assert_eq!(token["max_in_60s"], 14);
    let patch_429 = stats["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == 429)
        .unwrap();
    assert_eq!(
        patch_429["endpoint"],
        "PATCH /v5/ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}"
    );
    assert_eq!(patch_429["count"], 1);
    assert_eq!(stats["total_requests"], 14);
    assert_eq!(sandbox.sandbox().stats().users[0].max_in_1s, 11);

    let reset = sandbox.control(Method::POST, "/stats/reset", None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(sandbox.sandbox().stats().total_requests, 0);
}
