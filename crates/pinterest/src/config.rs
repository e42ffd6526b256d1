//! Client configuration: base URLs, OAuth app credentials and HTTP timeouts.

use std::time::Duration;

use url::Url;

use crate::secret::Secret;

/// Production API base; every endpoint path is appended to it.
pub const DEFAULT_API_BASE: &str = "https://api.pinterest.com/v5";
/// Where the browser is sent to grant access.
pub const DEFAULT_OAUTH_AUTHORIZE_URL: &str = "https://www.pinterest.com/oauth/";

/// How to reach Pinterest and as which app.
#[derive(Debug, Clone)]
pub struct PinterestConfig {
    /// API base URL without a trailing slash, e.g. `https://api.pinterest.com/v5` or a
    /// sandbox's `http://127.0.0.1:PORT/v5`.
    pub api_base: String,
    /// The OAuth consent page the user's browser is redirected to.
    pub oauth_authorize_url: String,
    /// The Pinterest app id (`client_id`), sent with HTTP Basic auth on token calls.
    pub client_id: String,
    /// The Pinterest app secret; never printed.
    pub client_secret: Secret,
    /// Time allowed to open a TCP (+TLS) connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, from sending to the last byte of the body.
    pub request_timeout: Duration,
}

impl PinterestConfig {
    /// Production URLs and default timeouts (5 s connect, 30 s per request).
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            api_base: DEFAULT_API_BASE.to_owned(),
            oauth_authorize_url: DEFAULT_OAUTH_AUTHORIZE_URL.to_owned(),
            client_id: client_id.into(),
            client_secret,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
        }
    }

    /// Points the client at another API base (a sandbox), keeping everything else.
    pub fn with_api_base(mut self, api_base: impl Into<String>) -> Self {
        self.api_base = api_base.into();
        self
    }

    /// The consent-page URL for the authorization-code flow: `client_id`, `redirect_uri`,
    /// `response_type=code`, comma-separated `scope` and the CSRF `state`.
    pub fn authorize_url(
        &self,
        redirect_uri: &str,
        scopes: &[&str],
        state: &str,
    ) -> Result<Url, url::ParseError> {
        let mut url = Url::parse(&self.oauth_authorize_url)?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(","))
            .append_pair("state", state);
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_the_app_redirect_scopes_and_state() {
        let config = PinterestConfig::new("1234", Secret::new("s3cret"));

        let url = config
            .authorize_url(
                "http://localhost:8085/",
                &["ads:read", "ads:write"],
                "csrf1",
            )
            .unwrap();

        assert_eq!(url.host_str(), Some("www.pinterest.com"));
        assert_eq!(url.path(), "/oauth/");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let expected = [
            ("client_id", "1234"),
            ("redirect_uri", "http://localhost:8085/"),
            ("response_type", "code"),
            ("scope", "ads:read,ads:write"),
            ("state", "csrf1"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(pairs, expected);
        assert!(!url.as_str().contains("s3cret"));
    }

    #[test]
    fn debug_of_config_redacts_the_client_secret() {
        let config = PinterestConfig::new("1234", Secret::new("s3cret"));
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
