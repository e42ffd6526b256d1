//! Connecting Pinterest through real HTTP: pinsync on port 0, the sandbox on port 0, the
//! OAuth dance driven like a browser would, and every way it can go wrong.

use pinsync_connect::TokenCipher;
use pinsync_store::OAuthStateOutcome;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::partners_support::{
    ALICE, ALICE_MAIN_ACCOUNT, ALICE_SECOND_ACCOUNT, AppOptions, spawn_pinterest_app,
    spawn_pinterest_app_with,
};
use crate::support::error_body;

#[tokio::test]
async fn the_full_dance_connects_and_shows_the_user_accounts_roles_and_expiries() {
    let app = spawn_pinterest_app().await;

    let authorize = app.start_connect().await;
    assert!(
        authorize.starts_with(&app.sandbox.oauth_url()),
        "{authorize}"
    );
    assert!(authorize.contains("scope=ads%3Aread%2Cads%3Awrite%2Cuser_accounts%3Aread"));
    let callback = app.consent(&authorize, ALICE, true).await;
    assert!(callback.starts_with(&app.url("/api/v1/partners/pinterest/callback?")));
    let response = app.follow_callback(&callback).await;
    assert_eq!(response.status(), 200);
    let connected: Value = response.json().await.unwrap();
    assert_eq!(connected["status"], "connected");
    assert_eq!(connected["sandbox"], true);
    assert_eq!(connected["pinterest_user"]["username"], ALICE);

    let view = app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;

    assert_eq!(view["status"], "connected");
    assert!(view["token_expires_at"].as_i64().unwrap() > pinsync_store::now_millis());
    assert!(view["refresh_token_expires_at"].as_i64().unwrap() > pinsync_store::now_millis());
    let accounts = view["ad_accounts"].as_array().unwrap();
    let main = accounts
        .iter()
        .find(|a| a["id"] == ALICE_MAIN_ACCOUNT)
        .unwrap();
    assert_eq!(main["selected"], true);
    assert_eq!(main["status"], "ok");
    assert!(main["roles"].as_array().unwrap().contains(&json!("OWNER")));
    let second = accounts
        .iter()
        .find(|a| a["id"] == ALICE_SECOND_ACCOUNT)
        .unwrap();
    assert_eq!(second["selected"], false);
    assert_eq!(app.connection().await, view);
}

#[tokio::test]
async fn the_connect_endpoint_needs_the_api_key() {
    let app = spawn_pinterest_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/partners/pinterest/connect"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_callback_with_a_state_pinsync_never_issued_is_refused_and_stores_nothing() {
    let app = spawn_pinterest_app().await;
    let authorize = app.start_connect().await;
    let callback = app.consent(&authorize, ALICE, true).await;
    let forged = url::Url::parse_with_params(
        &app.url("/api/v1/partners/pinterest/callback"),
        url::Url::parse(&callback)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| {
                let value = if k == "state" {
                    "forged".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), value)
            }),
    )
    .unwrap();

    let response = app.follow_callback(forged.as_str()).await;

    assert_eq!(response.status(), 400);
    assert_eq!(error_body(response).await["code"], "oauth_state_mismatch");
    assert!(app.store.connection(app.workspace).await.unwrap().is_none());
}

#[tokio::test]
async fn a_state_used_once_cannot_be_used_again() {
    let app = spawn_pinterest_app().await;
    let authorize = app.start_connect().await;
    let callback = app.consent(&authorize, ALICE, true).await;
    assert_eq!(app.follow_callback(&callback).await.status(), 200);

    let again = app.follow_callback(&callback).await;

    assert_eq!(again.status(), 400);
    assert_eq!(error_body(again).await["code"], "oauth_state_reused");
}

#[tokio::test]
async fn an_expired_state_is_refused_and_stores_nothing() {
    let app = spawn_pinterest_app().await;
    let state = "a".repeat(64);
    let hash = hex::encode(Sha256::digest(state.as_bytes()));
    let eleven_minutes_ago = pinsync_store::now_millis() - 60_000;
    app.store
        .insert_oauth_state(app.workspace, &hash, eleven_minutes_ago)
        .await
        .unwrap();

    let response = app
        .follow_callback(&app.url(&format!(
            "/api/v1/partners/pinterest/callback?code=whatever&state={state}"
        )))
        .await;

    assert_eq!(response.status(), 400);
    assert_eq!(error_body(response).await["code"], "oauth_state_expired");
    assert!(app.store.connection(app.workspace).await.unwrap().is_none());
}

#[tokio::test]
async fn the_state_is_random_hashed_in_store_and_bound_to_the_workspace() {
    let app = spawn_pinterest_app().await;
    let first = app.start_connect().await;
    let second = app.start_connect().await;
    let state_of = |url: &str| -> String {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned()
    };
    let state = state_of(&first);
    assert_eq!(state.len(), 64, "256 random bits, hex");
    assert_ne!(state, state_of(&second));
    // Stored by hash only: the raw state is unknown to the store.
    assert_eq!(
        app.store.consume_oauth_state(&state, 0).await.unwrap(),
        OAuthStateOutcome::Unknown
    );
    let hash = hex::encode(Sha256::digest(state.as_bytes()));
    assert_eq!(
        app.store.consume_oauth_state(&hash, 0).await.unwrap(),
        OAuthStateOutcome::Valid(app.workspace)
    );
}

#[tokio::test]
async fn denying_access_answers_that_access_was_denied() {
    let app = spawn_pinterest_app().await;
    let authorize = app.start_connect().await;
    let callback = app.consent(&authorize, ALICE, false).await;
    assert!(callback.contains("error=access_denied"));

    let response = app.follow_callback(&callback).await;

    assert_eq!(response.status(), 403);
    let body = error_body(response).await;
    assert_eq!(body["code"], "access_denied");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("access was denied")
    );
    assert!(app.store.connection(app.workspace).await.unwrap().is_none());
}

#[tokio::test]
async fn a_wrong_client_secret_fails_the_code_exchange_and_stores_nothing() {
    let app = spawn_pinterest_app_with(AppOptions {
        client_secret: Some("not-the-secret".into()),
        ..AppOptions::default()
    })
    .await;
    let authorize = app.start_connect().await;
    let callback = app.consent(&authorize, ALICE, true).await;

    let response = app.follow_callback(&callback).await;

    assert!(!response.status().is_success());
    let body = error_body(response).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Pinterest answered"),
        "{body}"
    );
    assert!(app.store.connection(app.workspace).await.unwrap().is_none());
}

#[tokio::test]
async fn the_database_file_holds_no_token_in_plain_text() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[ALICE_MAIN_ACCOUNT]).await;
    let (access, refresh) = app.stored_tokens().await;
    let (access, refresh) = (access.unwrap(), refresh.unwrap());

    let mut raw = std::fs::read(&app.db_path).unwrap();
    let wal = app.db_path.with_extension("db-wal");
    raw.extend(std::fs::read(wal).unwrap_or_default());

    assert!(raw.len() > 4096);
    for token in [&access, &refresh] {
        let found = raw.windows(token.len()).any(|w| w == token.as_bytes());
        assert!(!found, "a token is stored in plain text");
    }
}

#[tokio::test]
async fn tokens_encrypted_for_one_workspace_do_not_decrypt_as_another_field() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[]).await;
    let stored = app.store.connection(app.workspace).await.unwrap().unwrap();
    let access = stored.access_token.unwrap();

    let other = pinsync_connect::token_context(app.workspace, "refresh_token");
    assert!(app.cipher.decrypt(&access, &other).is_err());
    let wrong_key = TokenCipher::from_key([0; 32]);
    let own = pinsync_connect::token_context(app.workspace, "access_token");
    assert!(wrong_key.decrypt(&access, &own).is_err());
}

#[tokio::test]
async fn choosing_an_unknown_ad_account_is_refused() {
    let app = spawn_pinterest_app().await;
    app.connect_as(ALICE, &[]).await;

    let response = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/partners/pinterest/ad_accounts",
            json!({ "ad_account_ids": ["1"] }),
        )
        .await;

    assert_eq!(response.status(), 404);
    assert_eq!(error_body(response).await["code"], "unknown_ad_account");
}
