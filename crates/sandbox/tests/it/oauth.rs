//! The OAuth dance: consent page, allow / deny, redirect URI checks, code exchange, refresh
//! rotation, revocation and expiry.

use std::collections::HashMap;
use std::time::Duration;

use pinsync_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{
    SHARED_ACCOUNT, TestSandbox, answer, assert_error, spawn_sandbox, spawn_with,
};

const CALLBACK_PATH: &str = "/api/v1/partners/pinterest/callback";

fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

/// Submits the consent form and returns the redirect's query parameters.
async fn decide(
    sandbox: &TestSandbox,
    decision: &str,
    redirect: &str,
    user: &str,
) -> HashMap<String, String> {
    let form = [
        ("client_id", "1234567"),
        ("redirect_uri", redirect),
        ("response_type", "code"),
        ("scope", "ads:read,ads:write"),
        ("state", "csrf-123"),
        ("user_id", user),
        ("decision", decision),
    ];
    let response = sandbox
        .http
        .post(sandbox.running.oauth_url())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(redirect), "{location}");
    let url = url::Url::parse(&location).unwrap();
    url.query_pairs().into_owned().collect()
}

async fn exchange(
    sandbox: &TestSandbox,
    secret: &str,
    form: &[(&str, &str)],
) -> crate::support::Answer {
    let response = sandbox
        .http
        .post(format!("{}/oauth/token", sandbox.running.api_url()))
        .basic_auth("1234567", Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    answer(response).await
}

async fn code_for(sandbox: &TestSandbox, redirect: &str) -> String {
    let query = decide(sandbox, "allow", redirect, "1099300727702429001").await;
    query["code"].clone()
}

#[tokio::test]
async fn the_consent_page_shows_the_app_the_scopes_and_the_users_escaped() {
    let sandbox = spawn_sandbox().await;
    let response = sandbox
        .http
        .get(sandbox.running.oauth_url())
        .query(&[
            ("client_id", "1234567"),
            ("redirect_uri", &redirect_uri(9999)),
            ("response_type", "code"),
            ("scope", "ads:read,ads:write"),
            ("state", "<script>alert(1)</script>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    for expected in [
        "pinsync (sandbox)",
        "ads:read",
        "ads:write",
        "sandbox-alice",
        "sandbox-bob",
        "Allow",
        "Deny",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn allowing_consent_redirects_with_a_code_that_exchanges_for_working_tokens() {
    let sandbox = spawn_sandbox().await;
    let redirect = redirect_uri(8080);
    let query = decide(&sandbox, "allow", &redirect, "sandbox-alice").await;
    assert_eq!(query["state"], "csrf-123");
    let code = &query["code"];

    let tokens = exchange(
        &sandbox,
        "sandbox-secret",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let body = &tokens.body;
    assert!(body["access_token"].as_str().unwrap().starts_with("pina_"));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("pinr_"));
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["response_type"], "authorization_code");
    assert_eq!(body["expires_in"], 30 * 24 * 3600);
    assert_eq!(body["refresh_token_expires_in"], 60 * 24 * 3600);
    assert_eq!(body["scope"], "ads:read,ads:write");

    let accounts = sandbox
        .get(
            body["access_token"].as_str().unwrap(),
            &format!("/ad_accounts/{SHARED_ACCOUNT}"),
        )
        .await;
    assert_eq!(accounts.status, StatusCode::OK);
    assert_eq!(accounts.body["permissions"], serde_json::json!(["OWNER"]));
}

#[tokio::test]
async fn denying_consent_redirects_with_access_denied_and_the_state() {
    let sandbox = spawn_sandbox().await;
    let query = decide(&sandbox, "deny", &redirect_uri(8080), "sandbox-alice").await;
    assert_eq!(
        query.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(query["state"], "csrf-123");
    assert!(!query.contains_key("code"));
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_refused_without_redirecting() {
    let sandbox = spawn_sandbox().await;
    let page = |redirect: String| {
        sandbox
            .http
            .get(sandbox.running.oauth_url())
            .query(&[
                ("client_id", "1234567".to_string()),
                ("redirect_uri", redirect),
                ("response_type", "code".to_string()),
                ("scope", "ads:read".to_string()),
            ])
            .send()
    };
    let foreign = page(format!("http://evil.example{CALLBACK_PATH}"))
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
    assert!(foreign.headers().get("location").is_none());
    let wrong_path = page("http://127.0.0.1:8080/elsewhere".into())
        .await
        .unwrap();
    assert_eq!(wrong_path.status(), StatusCode::BAD_REQUEST);
    let other_port = page(format!("http://localhost:41234{CALLBACK_PATH}"))
        .await
        .unwrap();
    assert_eq!(other_port.status(), StatusCode::OK);
}

#[tokio::test]
async fn loopback_redirects_on_other_ports_are_refused_when_the_switch_is_off() {
    let mut config = SandboxConfig::default();
    config.app.allow_any_loopback_redirect = false;
    let sandbox = spawn_with(config).await;
    let response = sandbox
        .http
        .get(sandbox.running.oauth_url())
        .query(&[
            ("client_id", "1234567"),
            ("redirect_uri", &redirect_uri(41234)),
            ("response_type", "code"),
            ("scope", "ads:read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_code_is_refused_for_a_different_redirect_uri() {
    let sandbox = spawn_sandbox().await;
    let code = code_for(&sandbox, &redirect_uri(8080)).await;
    let other = redirect_uri(8081);
    let tokens = exchange(
        &sandbox,
        "sandbox-secret",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &other),
        ],
    )
    .await;
    assert_error(&tokens, 400, 1);
}

#[tokio::test]
async fn an_authorization_code_works_only_once() {
    let sandbox = spawn_sandbox().await;
    let redirect = redirect_uri(8080);
    let code = code_for(&sandbox, &redirect).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
    ];
    assert_eq!(
        exchange(&sandbox, "sandbox-secret", &form).await.status,
        StatusCode::OK
    );
    assert_error(&exchange(&sandbox, "sandbox-secret", &form).await, 400, 1);
}

#[tokio::test]
async fn an_authorization_code_expires_after_ten_minutes() {
    let sandbox = spawn_sandbox().await;
    let redirect = redirect_uri(8080);
    let fresh = code_for(&sandbox, &redirect).await;
    let stale = code_for(&sandbox, &redirect).await;
    sandbox.advance(Duration::from_secs(599));
    let form = |code: &str| {
        [
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", redirect.clone()),
        ]
    };
    let ok = sandbox
        .http
        .post(format!("{}/oauth/token", sandbox.running.api_url()))
        .basic_auth("1234567", Some("sandbox-secret"))
        .form(&form(&fresh))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    sandbox.advance(Duration::from_secs(2));
    let expired = sandbox
        .http
        .post(format!("{}/oauth/token", sandbox.running.api_url()))
        .basic_auth("1234567", Some("sandbox-secret"))
        .form(&form(&stale))
        .send()
        .await
        .unwrap();
    assert_error(&answer(expired).await, 400, 1);
}

#[tokio::test]
async fn a_bad_client_secret_is_answered_401_code_2() {
    let sandbox = spawn_sandbox().await;
    let redirect = redirect_uri(8080);
    let code = code_for(&sandbox, &redirect).await;
    let tokens = exchange(
        &sandbox,
        "wrong-secret",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_error(&tokens, 401, 2);
    let unauthenticated = sandbox
        .http
        .post(format!("{}/oauth/token", sandbox.running.api_url()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "pinr_x")])
        .send()
        .await
        .unwrap();
    assert_error(&answer(unauthenticated).await, 401, 2);
}

async fn refresh(sandbox: &TestSandbox, refresh_token: &str) -> crate::support::Answer {
    exchange(
        sandbox,
        "sandbox-secret",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

#[tokio::test]
async fn refreshing_rotates_the_refresh_token_and_restarts_its_lifetime() {
    let sandbox = spawn_sandbox().await;
    let grant = sandbox
        .sandbox()
        .issue_token("sandbox-alice", &["ads:read".into()])
        .unwrap();
    sandbox.advance(Duration::from_secs(59 * 24 * 3600));
    let refreshed = refresh(&sandbox, &grant.refresh_token).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    assert_eq!(refreshed.body["response_type"], "refresh_token");
    let new_refresh = refreshed.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, grant.refresh_token);
    let now = pinsync_sandbox::Clock::now_secs(&sandbox.clock);
    assert_eq!(
        refreshed.body["refresh_token_expires_at"],
        now + 60 * 24 * 3600
    );

    assert_error(&refresh(&sandbox, &grant.refresh_token).await, 401, 2);
    let new_access = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(
        sandbox.get(new_access, "/ad_accounts").await.status,
        StatusCode::OK
    );
    sandbox.advance(Duration::from_secs(59 * 24 * 3600));
    assert_eq!(refresh(&sandbox, &new_refresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn tokens_expire_after_their_configured_lifetimes() {
    let mut config = SandboxConfig::default();
    config.tokens.access_token_ttl_secs = 60;
    config.tokens.refresh_token_ttl_secs = 120;
    let sandbox = spawn_with(config).await;
    let grant = sandbox
        .sandbox()
        .issue_token("sandbox-alice", &["ads:read".into()])
        .unwrap();
    assert_eq!(grant.expires_in, 60);
    sandbox.advance(Duration::from_secs(59));
    assert_eq!(
        sandbox
            .get(&grant.access_token, "/ad_accounts")
            .await
            .status,
        StatusCode::OK
    );
    sandbox.advance(Duration::from_secs(1));
    assert_error(
        &sandbox.get(&grant.access_token, "/ad_accounts").await,
        401,
        2,
    );
    sandbox.advance(Duration::from_secs(60));
    assert_error(&refresh(&sandbox, &grant.refresh_token).await, 401, 2);
}

#[tokio::test]
async fn revoking_through_the_api_invalidates_the_token_at_once() {
    let sandbox = spawn_sandbox().await;
    let grant = sandbox
        .sandbox()
        .issue_token("sandbox-alice", &["ads:read".into()])
        .unwrap();
    let revoke = |token: String, secret: &'static str| {
        sandbox
            .http
            .post(format!("{}/oauth/token/revoke", sandbox.running.api_url()))
            .basic_auth("1234567", Some(secret))
            .form(&[
                ("token", token),
                ("token_type_hint", "refresh_token".into()),
            ])
            .send()
    };
    let refused = answer(revoke(grant.refresh_token.clone(), "nope").await.unwrap()).await;
    assert_error(&refused, 401, 2);
    assert_eq!(
        sandbox
            .get(&grant.access_token, "/ad_accounts")
            .await
            .status,
        StatusCode::OK
    );

    let revoked = revoke(grant.refresh_token.clone(), "sandbox-secret")
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    // Revoking the refresh token takes the grant's access tokens with it.
    assert_error(
        &sandbox.get(&grant.access_token, "/ad_accounts").await,
        401,
        2,
    );
    assert_error(&refresh(&sandbox, &grant.refresh_token).await, 401, 2);
}

#[tokio::test]
async fn the_control_api_revokes_and_expires_tokens() {
    let sandbox = spawn_sandbox().await;
    let revoked = sandbox.token("sandbox-alice");
    let expired = sandbox.token("sandbox-alice");
    let untouched = sandbox.token("sandbox-alice");
    let revoke = sandbox
        .control(
            reqwest::Method::POST,
            "/tokens/revoke",
            Some(serde_json::json!({ "token": revoked })),
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    let expire = sandbox
        .control(
            reqwest::Method::POST,
            "/tokens/expire",
            Some(serde_json::json!({ "token": expired })),
        )
        .await;
    assert_eq!(expire.status, StatusCode::NO_CONTENT);
    assert_error(&sandbox.get(&revoked, "/ad_accounts").await, 401, 2);
    assert_error(&sandbox.get(&expired, "/ad_accounts").await, 401, 2);
    assert_eq!(
        sandbox.get(&untouched, "/ad_accounts").await.status,
        StatusCode::OK
    );
    let unknown = sandbox
        .control(
            reqwest::Method::POST,
            "/tokens/revoke",
            Some(serde_json::json!({ "token": "pina_nope" })),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_control_api_mints_tokens_for_seeded_users_only() {
    let sandbox = spawn_sandbox().await;
    let minted = sandbox
        .control(
            reqwest::Method::POST,
            "/tokens",
            Some(serde_json::json!({ "user_id": "sandbox-carol", "scopes": ["ads:read"] })),
        )
        .await;
    assert_eq!(minted.status, StatusCode::OK);
    let token = minted.body["access_token"].as_str().unwrap();
    assert!(minted.body["refresh_token"].is_string());
    assert_eq!(minted.body["expires_in"], 30 * 24 * 3600);
    assert_eq!(
        sandbox.get(token, "/ad_accounts").await.status,
        StatusCode::OK
    );
    let unknown = sandbox
        .control(
            reqwest::Method::POST,
            "/tokens",
            Some(serde_json::json!({ "user_id": "nobody" })),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let _: Value = unknown.body;
}
