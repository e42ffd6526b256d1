//! The OAuth calls: authorize URL → consent → code exchange, refresh and revoke.

use pinsync_pinterest::{PinterestConfig, RevocableToken, Secret};
use pinsync_sandbox::{Sandbox, SandboxConfig};

use crate::harness::client_for;

const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/v1/partners/pinterest/callback";

#[tokio::test]
async fn a_consented_code_is_exchanged_refreshed_and_revoked() {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let client = client_for(&sandbox);
    let mut config: PinterestConfig = client.config().clone();
    config.oauth_authorize_url = sandbox.oauth_url();
    let authorize = config
        .authorize_url(REDIRECT_URI, &["ads:read", "ads:write"], "csrf-1")
        .unwrap();

    // The browser's "Allow" on the consent page: the same parameters posted back.
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("decision".into(), "allow".into()));
    form.push(("user_id".into(), "sandbox-alice".into()));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser
        .post(sandbox.oauth_url())
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = consent.headers()["location"].to_str().unwrap().to_owned();
    let location = url::Url::parse(&location).unwrap();
    let query: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let code = query.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    assert!(query.contains(&("state".into(), "csrf-1".into())));

    let granted = client
        .exchange_code(&code, REDIRECT_URI)
        .await
        .unwrap()
        .value;
    assert!(granted.access_token.expose().starts_with("pina"));
    assert_eq!(granted.scopes(), ["ads:read", "ads:write"]);
    assert!(granted.expires_in > 0);

    let refresh_token = granted.refresh_token.unwrap();
    let refreshed = client
        .refresh_access_token(&refresh_token)
        .await
        .unwrap()
        .value;
    assert_ne!(refreshed.access_token, granted.access_token);
    let rotated = refreshed.refresh_token.unwrap();
    assert_ne!(rotated, refresh_token);
    let reused = client
        .refresh_access_token(&refresh_token)
        .await
        .unwrap_err();
    assert_eq!(
        reused.kind(),
        "invalid_token",
        "a rotated refresh token is spent"
    );

    client
        .revoke(&RevocableToken::Refresh(rotated.clone()))
        .await
        .unwrap();
    let after_revoke = client.refresh_access_token(&rotated).await.unwrap_err();
    assert_eq!(after_revoke.kind(), "invalid_token");
}

#[tokio::test]
async fn a_wrong_client_secret_is_rejected_as_invalid_token_without_leaking_it() {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let mut config = client_for(&sandbox).config().clone();
    config.client_secret = Secret::new("not-the-secret");
    let client = pinsync_pinterest::PinterestClient::new(config).unwrap();

    let error = client
        .refresh_access_token(&pinsync_pinterest::RefreshToken::new("pinr_whatever"))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), "invalid_token");
    assert!(!error.to_string().contains("not-the-secret"));
    assert!(!error.to_string().contains("pinr_whatever"));
}
