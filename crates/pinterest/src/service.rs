//! The service stage: sends an [`ApiRequest`] over HTTP, keeps `x-pinterest-rid`, and
//! hands every failure to the classifier.

use std::time::SystemTime;

use reqwest::redirect;
use serde::de::DeserializeOwned;

use crate::classify::{classify_response, classify_transport, request_id, unreadable_body};
use crate::config::PinterestConfig;
use crate::error::PinterestError;
use crate::models::{Response, TokenResponse};
use crate::request::{self, ApiRequest, AuthScheme, RequestBody, RevocableToken};
use crate::secret::{AccessToken, RefreshToken};

/// The HTTP client could not be built (TLS backend or system configuration).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the pinterest http client: {0}")]
pub struct ClientBuildError(#[source] reqwest::Error);

/// Talks to one Pinterest API base as one app. Cheap to clone (shares the connection pool).
/// It neither rate-limits nor refreshes: that is [`crate::ConnectionClient`]'s job.
#[derive(Debug, Clone)]
pub struct PinterestClient {
    http: reqwest::Client,
    config: PinterestConfig,
}

impl PinterestClient {
    pub fn new(config: PinterestConfig) -> Result<Self, ClientBuildError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // A redirect from the API is never expected; following one could leak the token.
            .redirect(redirect::Policy::none())
            .build()
            .map_err(ClientBuildError)?;
        Ok(Self { http, config })
    }

    pub fn config(&self) -> &PinterestConfig {
        &self.config
    }

    /// Sends `request` and decodes a JSON success body. `token` is required for
    /// [`AuthScheme::UserToken`] requests and ignored for app-credential ones.
    pub async fn send<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
        token: Option<&AccessToken>,
    ) -> Result<Response<T>, PinterestError> {
        let (request_id, body) = self.send_for_body(request, token).await?;
        match serde_json::from_slice(&body) {
            Ok(value) => Ok(Response { value, request_id }),
            Err(error) => Err(unreadable_body(request_id, &error.to_string())),
        }
    }

    /// Sends `request` and ignores the success body (revoke answers with an empty one).
    pub async fn send_without_body(
        &self,
        request: &ApiRequest,
        token: Option<&AccessToken>,
    ) -> Result<Response<()>, PinterestError> {
        let (request_id, _) = self.send_for_body(request, token).await?;
        Ok(Response {
            value: (),
            request_id,
        })
    }

    /// Trades an authorization code (from the OAuth redirect) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Response<TokenResponse>, PinterestError> {
        self.send(&request::exchange_code(code, redirect_uri, false), None)
            .await
    }

    /// Trades a refresh token for a new access token (and, normally, a rotated refresh token).
    pub async fn refresh_access_token(
        &self,
        refresh_token: &RefreshToken,
    ) -> Result<Response<TokenResponse>, PinterestError> {
        self.send(&request::refresh_token(refresh_token), None)
            .await
    }

    /// Revokes an access or refresh token.
    pub async fn revoke(&self, token: &RevocableToken) -> Result<Response<()>, PinterestError> {
        self.send_without_body(&request::revoke_token(token), None)
            .await
    }

    async fn send_for_body(
        &self,
        request: &ApiRequest,
        token: Option<&AccessToken>,
    ) -> Result<(Option<String>, Vec<u8>), PinterestError> {
        let url = format!(
            "{}{}",
            self.config.api_base.trim_end_matches('/'),
            request.path
        );
        let mut builder = self.http.request(request.method.clone(), url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        builder = match request.auth {
            AuthScheme::UserToken => {
                let Some(token) = token else {
                    return Err(PinterestError::local_invalid(
                        "a user access token is required for this call",
                    ));
                };
                builder.bearer_auth(token.expose())
            }
            AuthScheme::AppCredentials => builder.basic_auth(
                &self.config.client_id,
                Some(self.config.client_secret.expose()),
            ),
        };
        builder = match &request.body {
            RequestBody::Empty => builder,
            RequestBody::Json(value) => builder.json(value),
            RequestBody::Form(fields) => builder.form(fields),
        };

        let response = builder.send().await.map_err(classify_transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let rid = request_id(&headers);
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => {
                let mut classified = classify_transport(error);
                if let PinterestError::Transient { rid: slot, .. } = &mut classified {
                    *slot = rid;
                }
                return Err(classified);
            }
        };
        if status.is_success() {
            return Ok((rid, body.to_vec()));
        }
        let error = classify_response(status, &headers, &body, SystemTime::now());
        tracing::debug!(
            kind = error.kind(),
            status = status.as_u16(),
            rid = error.request_id(),
            method = %request.method,
            path = %request.path,
            "pinterest call failed"
        );
        Err(error)
    }
}
