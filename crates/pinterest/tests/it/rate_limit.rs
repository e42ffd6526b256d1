//! One limiter in front of the sandbox: a burst of writes never exceeds any window as the
//! sandbox counts arrivals, and never draws a 429.

use std::sync::Arc;
use std::time::Instant;

use pinsync_pinterest::models::{CreateCustomerList, ListOperation, Records, UpdateCustomerList};
use pinsync_pinterest::{RateLimitConfig, WindowLimit};
use pinsync_sandbox::SandboxConfig;

use crate::harness::{ALICE, ALICE_MAIN_ACCOUNT, SYNC_SCOPES, spawn_app_with};

/// Ten times Pinterest's write limits, so 1,000 calls take seconds, not minutes.
const WRITES_PER_SECOND: u32 = 70;
const WRITES_PER_MINUTE: u32 = 4_000;
const BURST: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_list_patches_never_exceeds_a_window_and_draws_no_429() {
    let mut sandbox_config = SandboxConfig::default();
    sandbox_config.rate_limits.ads_write_per_second = WRITES_PER_SECOND;
    sandbox_config.rate_limits.ads_write_per_minute = WRITES_PER_MINUTE;
    let client_limits = RateLimitConfig {
        ads_write: vec![
            WindowLimit::per_second(WRITES_PER_SECOND),
            WindowLimit::per_minute(WRITES_PER_MINUTE),
        ],
        ..RateLimitConfig::default()
    };
    let app = Arc::new(spawn_app_with(sandbox_config, client_limits, ALICE, SYNC_SCOPES).await);
    let list = app
        .connection
        .create_customer_list(
            ALICE_MAIN_ACCOUNT,
            &CreateCustomerList {
                name: "burst".into(),
                records: Records::join(["seed@example.com"]),
                list_type: None,
            },
        )
        .await
        .unwrap()
        .value;
    app.sandbox().reset_stats();

    let began = Instant::now();
    let mut calls = Vec::with_capacity(BURST);
    for n in 0..BURST {
        let app = Arc::clone(&app);
        let list_id = list.id.clone();
        calls.push(tokio::spawn(async move {
            let body = UpdateCustomerList {
                operation_type: ListOperation::Add,
                records: Records::join([format!("user{n}@example.com")]),
            };
            app.connection
                .update_customer_list(ALICE_MAIN_ACCOUNT, &list_id, &body)
                .await
        }));
    }
    let mut failures = Vec::new();
    for call in calls {
        if let Err(error) = call.await.unwrap() {
            failures.push(error.kind());
        }
    }
    let elapsed = began.elapsed();

    assert_eq!(failures, Vec::<&str>::new());
    let stats = app.sandbox().stats();
    assert_eq!(stats.tokens.len(), 1, "one token made every call");
    let token = &stats.tokens[0];
    assert_eq!(token.requests, BURST as u64);
    assert_eq!(token.rate_limited, 0);
    assert!(
        token.max_in_1s <= u64::from(WRITES_PER_SECOND),
        "{} in one second",
        token.max_in_1s
    );
    assert!(token.max_in_60s <= u64::from(WRITES_PER_MINUTE));
    assert_eq!(
        app.sandbox().list_members(&list.id).unwrap().len(),
        BURST + 1
    );
    // 1,000 at 70 per 1.05 s need about 15 s; far slower would mean the limiter starves.
    assert!(elapsed.as_secs_f64() < 20.0, "took {elapsed:?}");
    println!(
        "burst of {BURST}: {:.1} s, max {} in 1 s, max {} in 60 s",
        elapsed.as_secs_f64(),
        token.max_in_1s,
        token.max_in_60s
    );
}
