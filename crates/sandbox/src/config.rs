//! The sandbox's configuration: the seed (app, users, ad accounts with roles) and every
//! behaviour switch, loaded from TOML with a default for every field.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::faults::FaultConfig;
use crate::rate_limit::RateLimitConfig;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read sandbox config {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid sandbox config: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid sandbox config: {0}")]
    Invalid(String),
}

/// Everything the sandbox needs to start. `Default` is a usable seed: one app, three users and
/// three ad accounts with different roles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    pub app: AppConfig,
    pub users: Vec<UserConfig>,
    pub ad_accounts: Vec<AdAccountConfig>,
    pub tokens: TokenConfig,
    pub customer_lists: CustomerListConfig,
    pub matching: MatchingConfig,
    pub rate_limits: RateLimitConfig,
    /// Faults active from start-up; they can be changed at run time.
    pub faults: FaultConfig,
}

/// The one registered OAuth app.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    /// Shown on the consent page.
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    /// Redirect URIs registered on the app; `redirect_uri` must match one exactly.
    pub redirect_uris: Vec<String>,
    /// Also accept `http://127.0.0.1:<any port>/<path>` and `http://localhost:<any port>/<path>`
    /// when `<path>` is the path of a registered URI, so tests on port 0 work.
    pub allow_any_loopback_redirect: bool,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uris", &self.redirect_uris)
            .field(
                "allow_any_loopback_redirect",
                &self.allow_any_loopback_redirect,
            )
            .finish()
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            name: "pinsync (sandbox)".into(),
            client_id: "1234567".into(),
            client_secret: "sandbox-secret".into(),
            redirect_uris: vec![
                "http://127.0.0.1:8080/api/v1/partners/pinterest/callback".into(),
                "http://localhost:8080/api/v1/partners/pinterest/callback".into(),
            ],
            allow_any_loopback_redirect: true,
        }
    }
}

/// A Pinterest user who can sign in on the consent page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Numeric string, as Pinterest user ids are.
    pub id: String,
    pub username: String,
    #[serde(default = "default_account_type")]
    pub account_type: String,
    #[serde(default)]
    pub business_name: Option<String>,
}

fn default_account_type() -> String {
    "BUSINESS".into()
}

/// An ad account and the role each user (by username or id) has on it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdAccountConfig {
    /// Numeric string.
    pub id: String,
    pub name: String,
    /// Username (or id) of the owning user.
    pub owner: String,
    #[serde(default = "default_country")]
    pub country: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Username (or id) → `BusinessAccessRole`, e.g. `OWNER`, `ADMIN`, `AUDIENCE_MANAGER`, `ANALYST`.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
}

fn default_country() -> String {
    "US".into()
}
fn default_currency() -> String {
    "USD".into()
}
fn default_time_zone() -> String {
    "America/Los_Angeles".into()
}

/// Lifetimes of OAuth artefacts, in seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenConfig {
    /// Access-token lifetime in seconds (Pinterest: 30 days).
    pub access_token_ttl_secs: u64,
    /// Refresh-token lifetime in seconds, restarted by every refresh (Pinterest: 60 days).
    pub refresh_token_ttl_secs: u64,
    /// Authorization-code lifetime in seconds (10 minutes).
    pub auth_code_ttl_secs: u64,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 30 * 24 * 3600,
            refresh_token_ttl_secs: 60 * 24 * 3600,
            auth_code_ttl_secs: 600,
        }
    }
}

/// Customer-list behaviour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerListConfig {
    /// Largest number of records in one create or PATCH; more is answered 400 code 1.
    pub max_records_per_request: usize,
    /// Whether `POST customer_lists` with an empty `records` string is accepted (unknown for
    /// real Pinterest; default rejected with 400 code 1).
    pub allow_empty_create: bool,
}

impl Default for CustomerListConfig {
    fn default() -> Self {
        Self {
            max_records_per_request: 1_900,
            allow_empty_create: false,
        }
    }
}

/// Which identifiers belong to Pinterest users, and how long matching takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchingConfig {
    /// Fraction (0.0–1.0) of identifiers that belong to a Pinterest user, decided
    /// deterministically from a hash of the identifier and `salt`.
    pub match_fraction: f64,
    /// Changes which identifiers match without changing the fraction.
    pub salt: String,
    /// Matched members an audience needs to become `READY` (below: `TOO_SMALL`).
    pub min_audience_size: u64,
    /// Seconds after creation before a list or audience leaves `PROCESSING`/`INITIALIZING`.
    pub processing_delay_secs: u64,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        Self {
            match_fraction: 0.6,
            salt: "pinsync-sandbox".into(),
            min_audience_size: 100,
            processing_delay_secs: 30,
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        let user = |id: &str, username: &str, business: &str| UserConfig {
            id: id.into(),
            username: username.into(),
            account_type: "BUSINESS".into(),
            business_name: Some(business.into()),
        };
        let account = |id: &str, name: &str, owner: &str, roles: &[(&str, &str)]| AdAccountConfig {
            id: id.into(),
            name: name.into(),
            owner: owner.into(),
            country: default_country(),
            currency: default_currency(),
            time_zone: default_time_zone(),
            roles: roles
                .iter()
                .map(|(user, role)| (user.to_string(), role.to_string()))
                .collect(),
        };
        Self {
            app: AppConfig::default(),
            users: vec![
                user("1099300727702429001", "sandbox-alice", "Alice's Shop"),
                user("1099300727702429002", "sandbox-bob", "Bob Analytics"),
                user("1099300727702429003", "sandbox-carol", "Carol Agency"),
            ],
            ad_accounts: vec![
                account(
                    "549770573673",
                    "Alice Main Account",
                    "sandbox-alice",
                    &[
                        ("sandbox-alice", "OWNER"),
                        ("sandbox-bob", "ANALYST"),
                        ("sandbox-carol", "AUDIENCE_MANAGER"),
                    ],
                ),
                account(
                    "549770573674",
                    "Alice Second Account",
                    "sandbox-alice",
                    &[("sandbox-alice", "OWNER")],
                ),
                account(
                    "549770573675",
                    "Carol Client Account",
                    "sandbox-carol",
                    &[("sandbox-carol", "ADMIN"), ("sandbox-bob", "ANALYST")],
                ),
            ],
            tokens: TokenConfig::default(),
            customer_lists: CustomerListConfig::default(),
            matching: MatchingConfig::default(),
            rate_limits: RateLimitConfig::default(),
            faults: FaultConfig::default(),
        }
    }
}

/// Roles that may write customer lists and audiences; every other role may only read.
pub const WRITE_ROLES: [&str; 3] = ["OWNER", "ADMIN", "AUDIENCE_MANAGER"];

/// Every `BusinessAccessRole` value of Pinterest's OpenAPI schema.
pub const KNOWN_ROLES: [&str; 17] = [
    "OWNER",
    "ADMIN",
    "ANALYST",
    "SOS_READER",
    "FINANCE_MANAGER",
    "FINANCE_VIEW",
    "FINANCE_EDIT",
    "AUDIENCE_MANAGER",
    "CAMPAIGN_MANAGER",
    "CATALOGS_MANAGER",
    "RESTRICTED_OWNER",
    "PROFILE_MANAGER",
    "PROFILE_PUBLISHER",
    "RESOURCE_PINNER_LIST_OWNER",
    "RESOURCE_PINNER_LIST_READER",
    "BIZ_PINNER_LIST_SHARER",
    "RESOURCE_CONVERSION_TAGS_READER",
];

impl SandboxConfig {
    /// Parses and validates a TOML document; absent fields take their defaults.
    pub fn from_toml_str(s: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(s)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and validates a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// Checks the invariants the rest of the sandbox relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(msg));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        // Ad-account ids are at most 18 digits in the OpenAPI schema; user ids are longer.
        let numeric = |s: &str| digits(s) && s.len() <= 18;
        for user in &self.users {
            if !digits(&user.id) {
                return invalid(format!("user id {:?} must be a numeric string", user.id));
            }
        }
        for account in &self.ad_accounts {
            if !numeric(&account.id) {
                return invalid(format!(
                    "ad account id {:?} must be a numeric string",
                    account.id
                ));
            }
            if self.find_user(&account.owner).is_none() {
                return invalid(format!(
                    "ad account {} has unknown owner {:?}",
                    account.id, account.owner
                ));
            }
            for (user, role) in &account.roles {
                if self.find_user(user).is_none() {
                    return invalid(format!(
                        "ad account {} names unknown user {user:?}",
                        account.id
                    ));
                }
                if !KNOWN_ROLES.contains(&role.as_str()) {
                    return invalid(format!(
                        "ad account {} has unknown role {role:?}",
                        account.id
                    ));
                }
            }
        }
        if !(0.0..=1.0).contains(&self.matching.match_fraction) {
            return invalid("matching.match_fraction must be between 0.0 and 1.0".into());
        }
        if self.customer_lists.max_records_per_request == 0 {
            return invalid("customer_lists.max_records_per_request must be at least 1".into());
        }
        self.faults.validate().map_err(ConfigError::Invalid)?;
        Ok(())
    }

    /// Finds a seeded user by id or username.
    pub fn find_user(&self, id_or_username: &str) -> Option<&UserConfig> {
        self.users
            .iter()
            .find(|u| u.id == id_or_username || u.username == id_or_username)
    }
}
