//! Where access tokens come from: the [`TokenProvider`] trait and a provider that refreshes
//! through Pinterest's OAuth endpoint, rotating the refresh token.

use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::error::PinterestError;
use crate::secret::{AccessToken, RefreshToken};
use crate::service::PinterestClient;

/// Supplies the current access token of one connection and renews it on demand.
#[async_trait]
pub trait TokenProvider: Send + Sync {
    /// The token to use for the next call.
    async fn access_token(&self) -> Result<AccessToken, PinterestError>;

    /// Pinterest rejected `rejected` with 401 code 2: return a fresh token. If another caller
    /// already replaced `rejected`, return the current token without refreshing again.
    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, PinterestError>;
}

/// An access token and the refresh token that renews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: AccessToken,
    /// `None` for connections that cannot refresh (their 401s are final).
    pub refresh_token: Option<RefreshToken>,
}

/// Refreshes with `grant_type=refresh_token`, one refresh at a time, and keeps the rotated
/// refresh token. Read [`OAuthTokenProvider::tokens`] after a refresh to persist them.
#[derive(Debug)]
pub struct OAuthTokenProvider {
    client: PinterestClient,
    tokens: Mutex<TokenSet>,
}

impl OAuthTokenProvider {
    pub fn new(client: PinterestClient, tokens: TokenSet) -> Self {
        Self {
            client,
            tokens: Mutex::new(tokens),
        }
    }

    /// The current tokens (for encrypted storage).
    pub async fn tokens(&self) -> TokenSet {
        self.tokens.lock().await.clone()
    }
}

#[async_trait]
impl TokenProvider for OAuthTokenProvider {
    async fn access_token(&self) -> Result<AccessToken, PinterestError> {
        Ok(self.tokens.lock().await.access_token.clone())
    }

    async fn refresh(&self, rejected: &AccessToken) -> Result<AccessToken, PinterestError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.access_token != *rejected {
            return Ok(tokens.access_token.clone());
        }
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return Err(PinterestError::InvalidToken {
                rid: None,
                message: "access token rejected and no refresh token is available".into(),
            });
        };
        let response = self.client.refresh_access_token(&refresh_token).await?;
        let granted = response.value;
        tokens.access_token = granted.access_token;
        if let Some(rotated) = granted.refresh_token {
            tokens.refresh_token = Some(rotated);
        }
        tracing::debug!(
            rid = response.request_id.as_deref(),
            "pinterest access token refreshed"
        );
        Ok(tokens.access_token.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PinterestConfig;
    use crate::secret::Secret;

    fn provider(refresh_token: Option<RefreshToken>) -> OAuthTokenProvider {
        // Port 9 (discard) on loopback: nothing here may reach the network.
        let config =
            PinterestConfig::new("1", Secret::new("s")).with_api_base("http://127.0.0.1:9/v5");
        let client = PinterestClient::new(config).unwrap();
        OAuthTokenProvider::new(
            client,
            TokenSet {
                access_token: AccessToken::new("pina_current"),
                refresh_token,
            },
        )
    }

    #[tokio::test]
    async fn a_rejected_token_that_was_already_replaced_is_answered_with_the_current_one() {
        let provider = provider(Some(RefreshToken::new("pinr_x")));

        let token = provider
            .refresh(&AccessToken::new("pina_older"))
            .await
            .unwrap();

        assert_eq!(token.expose(), "pina_current");
    }

    #[tokio::test]
    async fn without_a_refresh_token_a_rejection_is_final() {
        let provider = provider(None);

        let error = provider
            .refresh(&AccessToken::new("pina_current"))
            .await
            .unwrap_err();

        assert_eq!(error.kind(), "invalid_token");
        assert_eq!(error.request_id(), None);
    }
}
