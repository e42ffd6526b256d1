//! Each fault switch: 500, 503, plain and spam 429, dropped connections, latency, and
//! validation of the switches.

use std::time::{Duration, Instant};

use pinsync_sandbox::{FaultConfig, Latency};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ALICE, TestSandbox, assert_error, spawn_sandbox};

fn only(configure: impl FnOnce(&mut FaultConfig)) -> FaultConfig {
    let mut faults = FaultConfig::default();
    configure(&mut faults);
    faults
}

async fn set_faults(sandbox: &TestSandbox, faults: &FaultConfig) {
    let answer = sandbox
        .control(
            Method::PUT,
            "/faults",
            Some(serde_json::to_value(faults).unwrap()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn server_error_switches_answer_500_and_503_with_pinterest_bodies() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    set_faults(&sandbox, &only(|f| f.error_500_fraction = 1.0)).await;
    assert_error(&sandbox.get(&alice, "/ad_accounts").await, 500, 500);
    set_faults(&sandbox, &only(|f| f.error_503_fraction = 1.0)).await;
    assert_error(&sandbox.get(&alice, "/ad_accounts").await, 503, 4197);
    // The control API is never faulted.
    assert_eq!(
        sandbox.control(Method::GET, "/seed", None).await.status,
        StatusCode::OK
    );
    set_faults(&sandbox, &FaultConfig::default()).await;
    assert_eq!(
        sandbox.get(&alice, "/ad_accounts").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn rate_limit_switches_answer_plain_and_spam_429s() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    sandbox
        .sandbox()
        .set_faults(only(|f| f.rate_limit_fraction = 1.0))
        .unwrap();
    let plain = sandbox.get(&alice, "/ad_accounts").await;
    assert_error(&plain, 429, 8);
    assert!(plain.body.get("message_detail").is_none());
    sandbox
        .sandbox()
        .set_faults(only(|f| f.spam_rate_limit_fraction = 1.0))
        .unwrap();
    let spam = sandbox.get(&alice, "/ad_accounts").await;
    assert_error(&spam, 429, 8);
    assert!(
        spam.body["message_detail"]
            .as_str()
            .unwrap()
            .contains("spam")
    );
}

#[tokio::test]
async fn a_fraction_of_faults_hits_about_that_share_of_requests() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    sandbox
        .sandbox()
        .set_faults(only(|f| f.error_500_fraction = 0.5))
        .unwrap();
    let mut failed = 0;
    for _ in 0..90 {
        if sandbox.get(&alice, "/ad_accounts").await.status == StatusCode::INTERNAL_SERVER_ERROR {
            failed += 1;
        }
    }
    // Binomial(90, 0.5): outside 20..=70 has probability below 1e-5.
    assert!((20..=70).contains(&failed), "{failed} of 90 failed");
}

#[tokio::test]
async fn a_dropped_connection_never_yields_a_complete_answer() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    sandbox
        .sandbox()
        .set_faults(only(|f| f.drop_connection_fraction = 1.0))
        .unwrap();
    let outcome = sandbox
        .http
        .get(format!("{}/ad_accounts", sandbox.running.api_url()))
        .bearer_auth(&alice)
        .send()
        .await;
    let failed = match outcome {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the request must fail");
}

#[tokio::test]
async fn latency_is_added_before_answering() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    sandbox
        .sandbox()
        .set_faults(only(|f| f.latency = Latency::Fixed { ms: 300 }))
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        sandbox.get(&alice, "/ad_accounts").await.status,
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    sandbox
        .sandbox()
        .set_faults(only(|f| {
            f.latency = Latency::Uniform {
                min_ms: 100,
                max_ms: 150,
            }
        }))
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        sandbox.get(&alice, "/ad_accounts").await.status,
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn fault_fractions_adding_up_to_more_than_one_are_refused() {
    let sandbox = spawn_sandbox().await;
    let refused = sandbox
        .control(
            Method::PUT,
            "/faults",
            Some(json!({"error_500_fraction": 0.7, "error_503_fraction": 0.7})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let bad_latency = sandbox
        .control(
            Method::PUT,
            "/faults",
            Some(json!({"latency": {"kind": "uniform", "min_ms": 10, "max_ms": 5}})),
        )
        .await;
    assert_eq!(bad_latency.status, StatusCode::BAD_REQUEST);
    assert_eq!(sandbox.sandbox().faults(), FaultConfig::default());
}
