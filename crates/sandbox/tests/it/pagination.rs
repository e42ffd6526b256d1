//! Bookmark pagination of ad accounts, customer lists and audiences.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ALICE, BOB, SHARED_ACCOUNT, TestSandbox, assert_error, spawn_sandbox};

/// Follows bookmarks from `path` and returns every page's item ids.
async fn walk(sandbox: &TestSandbox, token: &str, path: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut bookmark: Option<String> = None;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &bookmark {
            Some(b) => format!("{path}{separator}bookmark={b}"),
            None => path.to_owned(),
        };
        let page = sandbox.get(token, &url).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let ids = page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        pages.push(ids);
        match &page.body["bookmark"] {
            Value::String(next) => bookmark = Some(next.clone()),
            Value::Null => return pages,
            other => panic!("bookmark {other}"),
        }
    }
}

#[tokio::test]
async fn ad_accounts_page_by_bookmark() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let pages = walk(&sandbox, &alice, "/ad_accounts?page_size=1").await;
    assert_eq!(
        pages,
        vec![
            vec!["549770573673".to_string()],
            vec!["549770573674".to_string()]
        ]
    );
    let bob = sandbox.token(BOB);
    let shared = walk(&sandbox, &bob, "/ad_accounts").await;
    assert_eq!(shared.concat().len(), 2);
    let owned_only = walk(&sandbox, &bob, "/ad_accounts?include_shared_accounts=false").await;
    assert_eq!(owned_only, vec![Vec::<String>::new()]);
}

#[tokio::test]
async fn customer_lists_default_to_pages_of_25_in_either_order() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let mut created = Vec::new();
    for _ in 0..30 {
        // Stay under the 7 writes per second.
        sandbox.advance(std::time::Duration::from_secs(1));
        created.push(
            sandbox
                .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
                .await,
        );
    }
    let path = format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists");
    let pages = walk(&sandbox, &alice, &path).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![25, 5]);
    assert_eq!(pages.concat(), created);
    let descending = walk(
        &sandbox,
        &alice,
        &format!("{path}?order=DESCENDING&page_size=250"),
    )
    .await;
    let mut reversed = created.clone();
    reversed.reverse();
    assert_eq!(descending, vec![reversed]);
}

#[tokio::test]
async fn audiences_page_and_filter_by_ownership_type() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    let list = sandbox
        .create_list(&alice, SHARED_ACCOUNT, "a@example.com")
        .await;
    let path = format!("/ad_accounts/{SHARED_ACCOUNT}/audiences");
    for i in 0..3 {
        let body = json!({"name": format!("a{i}"), "audience_type": "CUSTOMER_LIST", "rule": {"customer_list_id": list}});
        assert_eq!(
            sandbox.post(&alice, &path, body).await.status,
            StatusCode::OK
        );
    }
    let pages = walk(
        &sandbox,
        &alice,
        &format!("{path}?page_size=2&ownership_type=OWNED"),
    )
    .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1]);
    let received = sandbox
        .get(&alice, &format!("{path}?ownership_type=RECEIVED"))
        .await;
    assert_eq!(received.body, json!({"items": [], "bookmark": null}));
    assert_error(
        &sandbox
            .get(&alice, &format!("{path}?ownership_type=STOLEN"))
            .await,
        400,
        1,
    );
}

#[tokio::test]
async fn page_size_outside_1_to_250_and_a_forged_bookmark_are_refused() {
    let sandbox = spawn_sandbox().await;
    let alice = sandbox.token(ALICE);
    for query in [
        "page_size=0",
        "page_size=251",
        "page_size=ten",
        "bookmark=%21%21",
        "order=SIDEWAYS",
    ] {
        let answer = sandbox
            .get(
                &alice,
                &format!("/ad_accounts/{SHARED_ACCOUNT}/customer_lists?{query}"),
            )
            .await;
        assert_error(&answer, 400, 1);
    }
    assert_eq!(
        sandbox
            .get(&alice, "/ad_accounts?page_size=250")
            .await
            .status,
        StatusCode::OK
    );
}
