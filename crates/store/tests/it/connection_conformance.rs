//! The connection-area conformance suite: generic tests over [`ConnectionStore`] that every
//! backend must pass, stamped out per backend by [`connection_conformance_suite!`].

use pinsync_store::{
    Encrypted, EncryptedTokens, NewConnection, NewEvent, OAuthStateOutcome, Store, StoredAdAccount,
    StoredConnectionStatus, StoredWebhooks, WorkspaceId,
};
use serde_json::json;

/// Stamps out one `#[tokio::test]` per connection conformance test for a backend.
#[macro_export]
macro_rules! connection_conformance_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            $crate::connection_conformance_suite!(@tests $make;
                an_oauth_state_is_valid_once_then_reported_as_used,
                an_expired_or_unknown_oauth_state_is_not_valid,
                reconnecting_keeps_the_connection_id_and_the_account_selection,
                selecting_an_unknown_ad_account_is_not_found_and_changes_nothing,
                a_token_refresh_writes_only_over_the_generation_it_read,
                disconnecting_destroys_the_tokens,
                due_refreshes_are_claimed_once_until_the_lease_expires,
                an_event_creates_one_delivery_per_webhook_url,
                a_failed_delivery_waits_for_its_next_attempt,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::connection_conformance::$name(&*fixture).await;
            }
        )*
    };
}

fn account(id: &str, selected: bool) -> StoredAdAccount {
    StoredAdAccount {
        ad_account_id: id.into(),
        name: format!("account {id}"),
        permissions: vec!["OWNER".into()],
        selected,
        access_lost: false,
    }
}

fn tokens(tag: u8, next_refresh_at: i64) -> EncryptedTokens {
    EncryptedTokens {
        access_token: Encrypted(vec![tag; 40]),
        refresh_token: Some(Encrypted(vec![tag + 1; 40])),
        access_token_expires_at: 1_000_000,
        refresh_token_expires_at: Some(2_000_000),
        next_refresh_at,
    }
}

fn connection(workspace: WorkspaceId, accounts: Vec<StoredAdAccount>) -> NewConnection {
    NewConnection {
        workspace_id: workspace,
        pinterest_user_id: "42".into(),
        pinterest_username: "alice".into(),
        scopes: "ads:read,ads:write".into(),
        tokens: tokens(1, 500),
        ad_accounts: accounts,
    }
}

async fn workspace(store: &dyn Store) -> WorkspaceId {
    store.ensure_workspace("acme").await.unwrap().id
}

pub async fn an_oauth_state_is_valid_once_then_reported_as_used(store: &dyn Store) {
    let ws = workspace(store).await;
    store.insert_oauth_state(ws, "h1", 1_000).await.unwrap();

    let first = store.consume_oauth_state("h1", 999).await.unwrap();
    let second = store.consume_oauth_state("h1", 999).await.unwrap();

    assert_eq!(first, OAuthStateOutcome::Valid(ws));
    assert_eq!(second, OAuthStateOutcome::AlreadyUsed);
}

pub async fn an_expired_or_unknown_oauth_state_is_not_valid(store: &dyn Store) {
    let ws = workspace(store).await;
    store.insert_oauth_state(ws, "h1", 1_000).await.unwrap();

    assert_eq!(
        store.consume_oauth_state("h1", 1_001).await.unwrap(),
        OAuthStateOutcome::Expired
    );
    assert_eq!(
        store.consume_oauth_state("nope", 1).await.unwrap(),
        OAuthStateOutcome::Unknown
    );
}

pub async fn reconnecting_keeps_the_connection_id_and_the_account_selection(store: &dyn Store) {
    let ws = workspace(store).await;
    let first = store
        .save_connection(connection(
            ws,
            vec![account("1", false), account("2", false)],
        ))
        .await
        .unwrap();
    store
        .select_ad_accounts(ws, vec!["2".into()])
        .await
        .unwrap();
    store.disconnect(ws).await.unwrap();

    let again = store
        .save_connection(connection(
            ws,
            vec![account("1", false), account("2", false)],
        ))
        .await
        .unwrap();

    assert_eq!(again.id, first.id);
    assert_eq!(again.status, StoredConnectionStatus::Connected);
    let selected: Vec<String> = store
        .ad_accounts(ws)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.selected)
        .map(|a| a.ad_account_id)
        .collect();
    assert_eq!(selected, ["2"]);
}

pub async fn selecting_an_unknown_ad_account_is_not_found_and_changes_nothing(store: &dyn Store) {
    let ws = workspace(store).await;
    store
        .save_connection(connection(ws, vec![account("1", false)]))
        .await
        .unwrap();
    store
        .select_ad_accounts(ws, vec!["1".into()])
        .await
        .unwrap();

    let error = store
        .select_ad_accounts(ws, vec!["9".into()])
        .await
        .unwrap_err();

    assert!(error.to_string().contains("ad account 9"), "{error}");
    assert!(store.ad_accounts(ws).await.unwrap()[0].selected);
}

pub async fn a_token_refresh_writes_only_over_the_generation_it_read(store: &dyn Store) {
    let ws = workspace(store).await;
    let saved = store.save_connection(connection(ws, vec![])).await.unwrap();

    let wrote = store
        .replace_tokens(ws, saved.token_generation, tokens(7, 900))
        .await
        .unwrap();
    let stale = store
        .replace_tokens(ws, saved.token_generation, tokens(9, 900))
        .await
        .unwrap();

    assert!(wrote);
    assert!(!stale);
    let now = store.connection(ws).await.unwrap().unwrap();
    assert_eq!(now.access_token, Some(Encrypted(vec![7; 40])));
    assert_eq!(now.refresh_token, Some(Encrypted(vec![8; 40])));
}

pub async fn disconnecting_destroys_the_tokens(store: &dyn Store) {
    let ws = workspace(store).await;
    store.save_connection(connection(ws, vec![])).await.unwrap();

    assert!(store.disconnect(ws).await.unwrap());

    let stored = store.connection(ws).await.unwrap().unwrap();
    assert_eq!(stored.access_token, None);
    assert_eq!(stored.refresh_token, None);
    assert_eq!(stored.status, StoredConnectionStatus::Disconnected);
}

pub async fn due_refreshes_are_claimed_once_until_the_lease_expires(store: &dyn Store) {
    let ws = workspace(store).await;
    store.save_connection(connection(ws, vec![])).await.unwrap();

    assert!(
        store
            .claim_due_refreshes(499, 600, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.claim_due_refreshes(500, 600, 10).await.unwrap(), [ws]);
    assert!(
        store
            .claim_due_refreshes(599, 700, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.claim_due_refreshes(600, 700, 10).await.unwrap(), [ws]);
}

pub async fn an_event_creates_one_delivery_per_webhook_url(store: &dyn Store) {
    let ws = workspace(store).await;
    let webhooks = StoredWebhooks {
        urls: vec!["http://a/".into(), "http://b/".into()],
        secret: Encrypted(vec![1, 2, 3]),
    };
    store.set_webhooks(ws, webhooks, 10).await.unwrap();

    let event = store
        .record_event(
            NewEvent {
                workspace_id: ws,
                kind: "connection.invalid_token".into(),
                payload: json!({"status": "invalid_token"}),
            },
            100,
        )
        .await
        .unwrap();

    let due = store.claim_due_deliveries(100, 200, 10).await.unwrap();
    let mut urls: Vec<&str> = due.iter().map(|d| d.url.as_str()).collect();
    urls.sort();
    assert_eq!(urls, ["http://a/", "http://b/"]);
    assert!(due.iter().all(|d| d.event == event));
    assert_eq!(store.events(ws, 10).await.unwrap(), [event]);
}

pub async fn a_failed_delivery_waits_for_its_next_attempt(store: &dyn Store) {
    let ws = workspace(store).await;
    let webhooks = StoredWebhooks {
        urls: vec!["http://a/".into()],
        secret: Encrypted(vec![1]),
    };
    store.set_webhooks(ws, webhooks, 10).await.unwrap();
    let event = NewEvent {
        workspace_id: ws,
        kind: "k".into(),
        payload: json!({}),
    };
    store.record_event(event, 100).await.unwrap();
    let due = store.claim_due_deliveries(100, 200, 10).await.unwrap();

    store
        .fail_delivery(due[0].id, 1, Some(5_000), "503", 100)
        .await
        .unwrap();

    assert!(
        store
            .claim_due_deliveries(4_999, 9_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = store.claim_due_deliveries(5_000, 9_000, 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    store.complete_delivery(retry[0].id, 5_001).await.unwrap();
    assert!(
        store
            .claim_due_deliveries(99_999, 100_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

crate::connection_conformance_suite!(sqlite_backend, crate::sqlite::fresh_sqlite());
