//! The test harness: a sandbox on 127.0.0.1:0 driven by a manual clock, and small HTTP helpers.

use std::sync::Arc;
use std::time::Duration;

use pinsync_sandbox::{ManualClock, RunningSandbox, Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::Value;

pub const ALICE: &str = "sandbox-alice";
pub const BOB: &str = "sandbox-bob";
pub const CAROL: &str = "sandbox-carol";
/// Alice OWNER, Bob ANALYST, Carol AUDIENCE_MANAGER.
pub const SHARED_ACCOUNT: &str = "549770573673";
/// Alice OWNER only.
pub const ALICE_ONLY_ACCOUNT: &str = "549770573674";
/// Carol ADMIN, Bob ANALYST.
pub const CAROL_ACCOUNT: &str = "549770573675";

pub struct TestSandbox {
    pub running: RunningSandbox,
    pub clock: ManualClock,
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn spawn_sandbox() -> TestSandbox {
    spawn_with(SandboxConfig::default()).await
}

pub async fn spawn_with(config: SandboxConfig) -> TestSandbox {
    let clock = ManualClock::new();
    let running = Sandbox::with_clock(config, Arc::new(clock.clone()))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestSandbox {
        running,
        clock,
        http,
    }
}

impl TestSandbox {
    pub fn sandbox(&self) -> &Sandbox {
        &self.running.sandbox
    }

    /// An access token with `ads:read` and `ads:write` for a seeded user.
    pub fn token(&self, user: &str) -> String {
        self.token_with(user, &["ads:read", "ads:write"])
    }

    pub fn token_with(&self, user: &str, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        self.sandbox()
            .issue_token(user, &scopes)
            .unwrap()
            .access_token
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Sends a request to `/v5{path}` with a bearer token and optional JSON body.
    pub async fn api(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.running.api_url()))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Answer {
        self.api(Method::GET, token, path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.api(Method::POST, token, path, Some(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Answer {
        self.api(Method::PATCH, token, path, Some(body)).await
    }

    /// Sends a request to the control API at `/_sandbox{path}`.
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(
            method,
            format!("{}/_sandbox{path}", self.running.base_url()),
        );
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    /// Creates a customer list and returns its id.
    pub async fn create_list(&self, token: &str, account: &str, records: &str) -> String {
        let created = self
            .post(
                token,
                &format!("/ad_accounts/{account}/customer_lists"),
                serde_json::json!({ "name": "test list", "records": records }),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        created.body["id"].as_str().unwrap().to_owned()
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// `n` distinct SHA-256-shaped hex records (64 hex chars each).
pub fn sha256_records(n: usize, seed: u64) -> Vec<String> {
    (0..n as u64)
        .map(|i| format!("{:016x}{:048x}", seed, i))
        .collect()
}

/// Asserts a Pinterest error answer.
pub fn assert_error(answer: &Answer, status: u16, code: u64) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert!(answer.body["message"].is_string(), "{}", answer.body);
}
