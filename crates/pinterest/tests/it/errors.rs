//! Every error class, triggered through the sandbox's real behaviour and fault switches.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use pinsync_pinterest::models::{CreateCustomerList, ListOperation, Records, UpdateCustomerList};
use pinsync_pinterest::{
    AccessToken, ConnectionClient, PageRequest, PinterestError, RateLimitConfig, RateLimiter,
    TokenProvider,
};
use pinsync_sandbox::{FaultConfig, SandboxConfig};

use crate::harness::{
    ALICE, ALICE_MAIN_ACCOUNT, CAROL, SYNC_SCOPES, TestApp, count, spawn_app, spawn_app_with,
};

const TOKEN_ENDPOINT: &str = "POST /v5/oauth/token";
const USER_ACCOUNT_ENDPOINT: &str = "GET /v5/user_account";
const PATCH_LIST_ENDPOINT: &str =
    "PATCH /v5/ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}";

fn add(records: &[&str]) -> UpdateCustomerList {
    UpdateCustomerList {
        operation_type: ListOperation::Add,
        records: Records::join(records),
    }
}

async fn create_list(app: &TestApp) -> String {
    let body = CreateCustomerList {
        name: "errors".into(),
        records: Records::join(["a@example.com", "b@example.com"]),
        list_type: None,
    };
    app.connection
        .create_customer_list(ALICE_MAIN_ACCOUNT, &body)
        .await
        .unwrap()
        .value
        .id
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_the_call_retried() {
    let app = spawn_app().await;
    let old = app.access_token().await;
    let old_refresh = app.tokens.tokens().await.refresh_token;
    app.sandbox().expire_token(old.expose()).unwrap();

    let account = app.connection.user_account().await.unwrap().value;

    assert_eq!(account.username, "sandbox-alice");
    let tokens = app.tokens.tokens().await;
    assert_ne!(tokens.access_token, old);
    assert_ne!(
        tokens.refresh_token, old_refresh,
        "the refresh token rotates"
    );
    assert_eq!(count(app.sandbox(), USER_ACCOUNT_ENDPOINT, 401), 1);
    assert_eq!(count(app.sandbox(), USER_ACCOUNT_ENDPOINT, 200), 1);
    assert_eq!(count(app.sandbox(), TOKEN_ENDPOINT, 200), 1);
}

#[tokio::test]
async fn a_revoked_grant_ends_in_invalid_token_after_one_refresh_attempt() {
    let app = spawn_app().await;
    let refresh = app.tokens.tokens().await.refresh_token.unwrap();
    app.sandbox().revoke_token(refresh.expose()).unwrap();

    let error = app.connection.user_account().await.unwrap_err();

    assert_eq!(error.kind(), "invalid_token");
    assert!(error.request_id().is_some());
    assert_eq!(count(app.sandbox(), USER_ACCOUNT_ENDPOINT, 401), 1);
    assert_eq!(count(app.sandbox(), TOKEN_ENDPOINT, 401), 1);
}

/// Hands out tokens the sandbox does not know, counting refreshes.
struct RejectedTokens {
    refreshes: AtomicUsize,
}

#[async_trait]
impl TokenProvider for RejectedTokens {
    async fn access_token(&self) -> Result<AccessToken, PinterestError> {
        Ok(AccessToken::new("pina_unknown-first"))
    }

    async fn refresh(&self, _rejected: &AccessToken) -> Result<AccessToken, PinterestError> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        Ok(AccessToken::new("pina_unknown-second"))
    }
}

#[tokio::test]
async fn a_second_401_after_refreshing_is_returned_as_invalid_token_without_more_retries() {
    let app = spawn_app().await;
    let tokens = Arc::new(RejectedTokens {
        refreshes: AtomicUsize::new(0),
    });
    let limiter = Arc::new(RateLimiter::new(&RateLimitConfig::default()).unwrap());
    let connection = ConnectionClient::new(app.client.clone(), tokens.clone(), limiter);

    let error = connection.user_account().await.unwrap_err();

    assert!(
        matches!(error, PinterestError::InvalidToken { .. }),
        "{error:?}"
    );
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(count(app.sandbox(), USER_ACCOUNT_ENDPOINT, 401), 2);
    assert!(!error.to_string().contains("pina_unknown"));
}

#[tokio::test]
async fn a_token_without_ads_write_gets_missing_scope_on_a_patch() {
    let app = spawn_app_with(
        SandboxConfig::default(),
        RateLimitConfig::default(),
        ALICE,
        &["ads:read"],
    )
    .await;

    let error = app
        .connection
        .update_customer_list(ALICE_MAIN_ACCOUNT, "4189731", &add(&["x@example.com"]))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), "missing_scope");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn removing_the_users_role_turns_list_writes_into_access_lost() {
    let app = spawn_app_with(
        SandboxConfig::default(),
        RateLimitConfig::default(),
        CAROL,
        SYNC_SCOPES,
    )
    .await;
    let list_id = create_list(&app).await;
    app.sandbox()
        .set_role(ALICE_MAIN_ACCOUNT, CAROL, None)
        .unwrap();

    let error = app
        .connection
        .update_customer_list(ALICE_MAIN_ACCOUNT, &list_id, &add(&["c@example.com"]))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), "access_lost");
    assert!(error.request_id().is_some());
}

#[tokio::test]
async fn a_deleted_customer_list_is_not_found() {
    let app = spawn_app().await;
    let list_id = create_list(&app).await;
    app.sandbox().delete_customer_list(&list_id).unwrap();

    let error = app
        .connection
        .update_customer_list(ALICE_MAIN_ACCOUNT, &list_id, &add(&["c@example.com"]))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), "not_found");
    assert_eq!(count(app.sandbox(), PATCH_LIST_ENDPOINT, 404), 1);
}

#[tokio::test]
async fn an_out_of_range_page_size_is_an_invalid_request() {
    let app = spawn_app().await;

    let error = app
        .connection
        .list_ad_accounts(&PageRequest::first(1_000))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), "invalid_request");
    assert!(error.request_id().is_some());
}

async fn error_under_faults(faults: FaultConfig) -> PinterestError {
    let app = spawn_app().await;
    app.sandbox().set_faults(faults).unwrap();
    app.connection.user_account().await.unwrap_err()
}

#[tokio::test]
async fn an_injected_429_is_rate_limited_without_a_reset_hint() {
    let error = error_under_faults(FaultConfig {
        rate_limit_fraction: 1.0,
        ..FaultConfig::default()
    })
    .await;

    let PinterestError::RateLimited {
        reset_after, spam, ..
    } = error
    else {
        panic!("expected rate_limited, got {error:?}");
    };
    assert_eq!(reset_after, None);
    assert!(!spam);
}

#[tokio::test]
async fn an_injected_spam_429_is_flagged_as_spam() {
    let error = error_under_faults(FaultConfig {
        spam_rate_limit_fraction: 1.0,
        ..FaultConfig::default()
    })
    .await;

    assert!(
        matches!(error, PinterestError::RateLimited { spam: true, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_real_429_with_reset_headers_pauses_the_connections_limiter() {
    let mut config = SandboxConfig::default();
    config.rate_limits.org_read_per_minute = 1;
    config.rate_limits.emit_headers = true;
    let app = spawn_app_with(config, RateLimitConfig::default(), ALICE, SYNC_SCOPES).await;
    app.connection.user_account().await.unwrap();

    let error = app.connection.user_account().await.unwrap_err();

    let reset_after = error.reset_after().expect("the sandbox sent Retry-After");
    assert!(reset_after.as_secs() >= 1, "{reset_after:?}");
    assert!(app.limiter.paused_until().is_some());
    assert!(
        app.limiter
            .current_wait(pinsync_pinterest::RateCategory::AdsRead)
            > std::time::Duration::ZERO
    );
}

#[tokio::test]
async fn server_errors_are_transient_and_retryable() {
    for faults in [
        FaultConfig {
            error_500_fraction: 1.0,
            ..FaultConfig::default()
        },
        FaultConfig {
            error_503_fraction: 1.0,
            ..FaultConfig::default()
        },
    ] {
        let error = error_under_faults(faults).await;
        assert_eq!(error.kind(), "transient", "{error:?}");
        assert!(error.is_retryable());
    }
}

#[tokio::test]
async fn a_dropped_connection_is_transient() {
    let error = error_under_faults(FaultConfig {
        drop_connection_fraction: 1.0,
        ..FaultConfig::default()
    })
    .await;

    assert_eq!(error.kind(), "transient", "{error:?}");
}

#[tokio::test]
async fn a_response_slower_than_the_request_timeout_is_a_transient_timeout() {
    let app = spawn_app().await;
    app.sandbox()
        .set_faults(FaultConfig {
            latency: pinsync_sandbox::Latency::Fixed { ms: 2_000 },
            ..FaultConfig::default()
        })
        .unwrap();
    let mut config = app.client.config().clone();
    config.request_timeout = std::time::Duration::from_millis(200);
    let impatient = pinsync_pinterest::PinterestClient::new(config).unwrap();
    let limiter = Arc::new(RateLimiter::new(&RateLimitConfig::default()).unwrap());
    let connection = ConnectionClient::new(impatient, app.tokens.clone(), limiter);

    let error = connection.user_account().await.unwrap_err();

    assert_eq!(error.kind(), "transient");
    assert!(error.message().starts_with("request timed out"), "{error}");
}

#[tokio::test]
async fn concurrent_callers_rejected_with_the_same_token_share_one_refresh() {
    let app = Arc::new(spawn_app().await);
    let old = app.access_token().await;
    app.sandbox().expire_token(old.expose()).unwrap();

    let mut calls = Vec::new();
    for _ in 0..5 {
        let app = Arc::clone(&app);
        calls.push(tokio::spawn(
            async move { app.connection.user_account().await },
        ));
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }

    assert_eq!(count(app.sandbox(), TOKEN_ENDPOINT, 200), 1);
    assert_eq!(count(app.sandbox(), USER_ACCOUNT_ENDPOINT, 200), 5);
}
