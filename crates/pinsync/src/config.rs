//! pinsync's configuration: built-in defaults, then an optional TOML file, then `PINSYNC_*`
//! environment variables, then command-line flags; validated once, at load.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

pub use crate::config_pipeline::PipelineConfig;

/// The environment variables pinsync reads, with their meaning (shown by `--help`).
pub const ENVIRONMENT_HELP: &str = "\
Configuration (later sources override earlier ones): built-in defaults, then the TOML file
given by --config or PINSYNC_CONFIG, then these environment variables, then flags.

  PINSYNC_CONFIG           path of a TOML config file (keys as below, lowercase)
  PINSYNC_LISTEN           listen = address to serve on              [default: 127.0.0.1:8080]
  PINSYNC_DATA_DIR         data_dir = directory of the SQLite database [default: ./pinsync-data]
  PINSYNC_DATABASE_URL     database_url = postgres://user:password@host:5432/db to use
                           PostgreSQL instead of SQLite (several instances may share it)
  PINSYNC_DATABASE_MAX_CONNECTIONS
                           database_max_connections = PostgreSQL pool size per instance [10]
  PINSYNC_MAX_BODY_BYTES   max_body_bytes = largest request body, bytes [default: 16777216]
  PINSYNC_LOG              log = tracing filter, e.g. info or pinsync=debug [default: info]
  PINSYNC_LOG_FORMAT       log_format = text | json                  [default: text]

Pinterest (TOML table [pinterest]); without all three of client_id, client_secret and
redirect_uri, `serve` mounts the built-in Pinterest sandbox under /sandbox and uses it:
  PINSYNC_PINTEREST_CLIENT_ID      pinterest.client_id = the Pinterest app id
  PINSYNC_PINTEREST_CLIENT_SECRET  pinterest.client_secret = the app secret (never printed)
  PINSYNC_PINTEREST_REDIRECT_URI   pinterest.redirect_uri = pinsync's callback URL, e.g.
                                   https://pinsync.example.com/api/v1/partners/pinterest/callback
  PINSYNC_PINTEREST_API_BASE       pinterest.api_base   [default: https://api.pinterest.com/v5]
  PINSYNC_PINTEREST_OAUTH_URL      pinterest.oauth_url  [default: https://www.pinterest.com/oauth/]
  [pinterest.rate_limits]          per Pinterest token: writes_per_second [7], writes_per_minute
                                   [400], reads_per_minute [1000], requests_per_second [100],
                                   safety_margin_ms [50] (TOML only)
  PINSYNC_SECRET_KEY               32-byte key (base64 or hex) encrypting tokens at rest
                                   [default: generated once into <data_dir>/secret.key]

Sync pipeline (TOML table [pipeline]):
  PINSYNC_PIPELINE_FLUSH_INTERVAL_MS        pipeline.flush_interval_ms = longest wait before a
                                            partial batch is sent [5000]
  PINSYNC_PIPELINE_MAX_RECORDS_PER_REQUEST  pipeline.max_records_per_request = records in one
                                            customer-list PATCH, 1 to 1900 [1900]
  PINSYNC_PIPELINE_DELIVER                  pipeline.deliver = false for an instance that only
                                            serves the API and enters users [true]
  pipeline.retry_horizon_hours [13], pipeline.shutdown_grace_secs [30],
  pipeline.status_poll_interval_secs [600], pipeline.connection_lease_ttl_secs (PostgreSQL,
  2 to 10) [10] (TOML only)";

/// The validated configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory holding the SQLite database (created if missing).
    pub data_dir: PathBuf,
    /// A `postgres://` or `postgresql://` URL: use PostgreSQL instead of SQLite. Unset means
    /// SQLite in `data_dir`. The password is redacted in `Debug`, never logged.
    pub database_url: Option<DatabaseUrl>,
    /// The most PostgreSQL connections this instance opens (ignored on SQLite).
    pub database_max_connections: u32,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// `tracing` filter directive.
    pub log: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// The Pinterest app; empty means "use the built-in sandbox".
    pub pinterest: PinterestAppConfig,
    /// The sync pipeline's batching, retries and leases.
    pub pipeline: PipelineConfig,
}

/// The `[pinterest]` table: a real Pinterest app's credentials and URLs.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PinterestAppConfig {
    /// The Pinterest app id.
    pub client_id: Option<String>,
    /// The Pinterest app secret; redacted in `Debug`, never logged.
    pub client_secret: Option<String>,
    /// pinsync's callback URL as registered on the app.
    pub redirect_uri: Option<String>,
    /// API base URL (default `https://api.pinterest.com/v5`).
    pub api_base: Option<String>,
    /// OAuth consent page (default `https://www.pinterest.com/oauth/`).
    pub oauth_url: Option<String>,
    /// The per-token request budget (`[pinterest.rate_limits]`), for the real app and the sandbox.
    pub rate_limits: PinterestRateLimits,
}

/// The `[pinterest.rate_limits]` table: the windows one Pinterest user token may use. A request
/// waits for a slot in every window that applies; none is ever sent beyond a window.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PinterestRateLimits {
    /// Writes (customer lists, audiences) per second. Default 7.
    pub writes_per_second: u32,
    /// Writes per minute. Default 400 (Pinterest's published `ads_write` limit).
    pub writes_per_minute: u32,
    /// Reads (ad accounts, lists, audiences) per minute. Default 1,000.
    pub reads_per_minute: u32,
    /// Every request, whatever its category, per second. Default 100.
    pub requests_per_second: u32,
    /// Added to every window's length against network jitter, in milliseconds. Default 50.
    pub safety_margin_ms: u64,
}

impl Default for PinterestRateLimits {
    fn default() -> Self {
        Self {
            writes_per_second: 7,
            writes_per_minute: 400,
            reads_per_minute: 1_000,
            requests_per_second: 100,
            safety_margin_ms: 50,
        }
    }
}

impl PinterestRateLimits {
    /// The limiter configuration these settings describe (OAuth categories keep their defaults).
    pub fn to_limiter_config(&self) -> pinsync_pinterest::RateLimitConfig {
        use pinsync_pinterest::WindowLimit;
        pinsync_pinterest::RateLimitConfig {
            ads_write: vec![
                WindowLimit::per_second(self.writes_per_second),
                WindowLimit::per_minute(self.writes_per_minute),
            ],
            ads_read: vec![WindowLimit::per_minute(self.reads_per_minute)],
            all_requests: vec![WindowLimit::per_second(self.requests_per_second)],
            safety_margin: std::time::Duration::from_millis(self.safety_margin_ms),
            ..pinsync_pinterest::RateLimitConfig::default()
        }
    }
}

impl std::fmt::Debug for PinterestAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinterestAppConfig")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field("api_base", &self.api_base)
            .field("oauth_url", &self.oauth_url)
            .field("rate_limits", &self.rate_limits)
            .finish()
    }
}

/// How log lines are written (always to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A PostgreSQL connection URL. Its password never leaves the process: `Debug` and `Display`
/// show `***` in its place.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the URL names a PostgreSQL server.
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// The URL with the password (in the user part or a `password=` parameter) replaced.
    pub fn redacted(&self) -> String {
        let url = self.0.as_str();
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return "<unparsable URL>".into();
        };
        let rest = &url[scheme_end..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rsplit_once('@') {
            Some((user_info, host)) => match user_info.split_once(':') {
                Some((user, _password)) => format!("{user}:***@{host}"),
                None => format!("{user_info}@{host}"),
            },
            None => authority.to_owned(),
        };
        let tail = match tail.split_once('?') {
            Some((path, query)) => {
                let query: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                            format!("{key}=***")
                        }
                        _ => pair.to_owned(),
                    })
                    .collect();
                format!("{path}?{}", query.join("&"))
            }
            None => tail.to_owned(),
        };
        format!("{}{authority}{tail}", &url[..scheme_end])
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./pinsync-data"),
            database_url: None,
            database_max_connections: pinsync_store::postgres::DEFAULT_MAX_CONNECTIONS,
            max_body_bytes: 16 * 1024 * 1024,
            log: "info".into(),
            log_format: LogFormat::Text,
            pinterest: PinterestAppConfig::default(),
            pipeline: PipelineConfig::default(),
        }
    }
}

/// Values given on the command line; `None` means "not given".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Where the store lives, for messages: the SQLite data directory or the PostgreSQL URL
    /// (password redacted).
    pub fn store_description(&self) -> String {
        match &self.database_url {
            Some(url) => format!("PostgreSQL at {url}"),
            None => self.data_dir.display().to_string(),
        }
    }

    /// Loads defaults → file → environment → flags, and validates the result.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let file = overrides
            .config_file
            .clone()
            .or_else(|| env("PINSYNC_CONFIG").map(PathBuf::from));
        let mut config = match &file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        if let Some(v) = env("PINSYNC_LISTEN") {
            config.listen = v.parse().with_context(|| {
                format!("PINSYNC_LISTEN={v:?} is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(v) = env("PINSYNC_DATA_DIR") {
            config.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("PINSYNC_DATABASE_URL") {
            config.database_url = Some(DatabaseUrl(v));
        }
        if let Some(v) = env("PINSYNC_DATABASE_MAX_CONNECTIONS") {
            config.database_max_connections = v.parse().with_context(|| {
                format!("PINSYNC_DATABASE_MAX_CONNECTIONS={v:?} is not a number of connections")
            })?;
        }
        if let Some(v) = env("PINSYNC_MAX_BODY_BYTES") {
            config.max_body_bytes = v.parse().with_context(|| {
                format!("PINSYNC_MAX_BODY_BYTES={v:?} is not a number of bytes")
            })?;
        }
        if let Some(v) = env("PINSYNC_LOG") {
            config.log = v;
        }
        if let Some(v) = env("PINSYNC_LOG_FORMAT") {
            config.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => bail!("PINSYNC_LOG_FORMAT={other:?} must be `text` or `json`"),
            };
        }
        let pinterest_env = [
            (
                "PINSYNC_PINTEREST_CLIENT_ID",
                &mut config.pinterest.client_id,
            ),
            (
                "PINSYNC_PINTEREST_CLIENT_SECRET",
                &mut config.pinterest.client_secret,
            ),
            (
                "PINSYNC_PINTEREST_REDIRECT_URI",
                &mut config.pinterest.redirect_uri,
            ),
            ("PINSYNC_PINTEREST_API_BASE", &mut config.pinterest.api_base),
            (
                "PINSYNC_PINTEREST_OAUTH_URL",
                &mut config.pinterest.oauth_url,
            ),
        ];
        for (name, slot) in pinterest_env {
            if let Some(v) = env(name) {
                *slot = Some(v);
            }
        }
        if let Some(v) = env("PINSYNC_PIPELINE_FLUSH_INTERVAL_MS") {
            config.pipeline.flush_interval_ms = v.parse().with_context(|| {
                format!("PINSYNC_PIPELINE_FLUSH_INTERVAL_MS={v:?} is not a number of milliseconds")
            })?;
        }
        if let Some(v) = env("PINSYNC_PIPELINE_MAX_RECORDS_PER_REQUEST") {
            config.pipeline.max_records_per_request = v.parse().with_context(|| {
                format!("PINSYNC_PIPELINE_MAX_RECORDS_PER_REQUEST={v:?} is not a number of records")
            })?;
        }
        if let Some(v) = env("PINSYNC_PIPELINE_DELIVER") {
            config.pipeline.deliver = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => bail!("PINSYNC_PIPELINE_DELIVER={other:?} must be `true` or `false`"),
            };
        }
        if let Some(listen) = overrides.listen {
            config.listen = listen;
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir = dir.clone();
        }
        config.validate()?;
        Ok(config)
    }

    fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.max_body_bytes < 1024 {
            bail!(
                "max_body_bytes must be at least 1024 (got {})",
                self.max_body_bytes
            );
        }
        if self.data_dir.as_os_str().is_empty() {
            bail!("data_dir must not be empty");
        }
        if let Some(url) = &self.database_url
            && !url.is_postgres()
        {
            bail!(
                "database_url must start with postgres:// or postgresql:// (got {url}); leave it unset to use SQLite in data_dir"
            );
        }
        if self.database_max_connections == 0 {
            bail!("database_max_connections must be at least 1");
        }
        let app = &self.pinterest;
        let given = [&app.client_id, &app.client_secret, &app.redirect_uri]
            .iter()
            .filter(|v| v.is_some())
            .count();
        if given != 0 && given != 3 {
            bail!(
                "pinterest: give all of client_id, client_secret and redirect_uri (or none, to use the built-in sandbox)"
            );
        }
        app.rate_limits
            .to_limiter_config()
            .validate()
            .map_err(|e| anyhow::anyhow!("pinterest.rate_limits: {e}"))?;
        self.pipeline.validate().map_err(anyhow::Error::msg)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinterest_rate_limits_come_from_the_config_file_and_are_validated() {
        let config: Config = toml::from_str(
            "[pinterest.rate_limits]\nwrites_per_second = 5\nwrites_per_minute = 300\n",
        )
        .unwrap();
        let limits = config.pinterest.rate_limits.to_limiter_config();
        assert_eq!(limits.ads_write[0].limit, 5);
        assert_eq!(limits.ads_write[1].limit, 300);
        assert_eq!(limits.ads_read[0].limit, 1_000);
        config.validate().unwrap();

        let zero: Config =
            toml::from_str("[pinterest.rate_limits]\nreads_per_minute = 0\n").unwrap();
        let error = zero.validate().unwrap_err().to_string();
        assert!(error.contains("pinterest.rate_limits"), "{error}");
    }

    #[test]
    fn the_pipeline_table_is_read_and_validated() {
        let config: Config =
            toml::from_str("[pipeline]\nflush_interval_ms = 1000\nmax_records_per_request = 100\n")
                .unwrap();
        config.validate().unwrap();
        let settings = config.pipeline.to_settings();
        assert_eq!(settings.flush_interval, std::time::Duration::from_secs(1));
        assert_eq!(settings.max_records_per_request, 100);

        let too_many: Config =
            toml::from_str("[pipeline]\nmax_records_per_request = 5000\n").unwrap();
        let error = too_many.validate().unwrap_err().to_string();
        assert!(error.contains("max_records_per_request"), "{error}");
    }

    #[test]
    fn a_config_file_overrides_defaults_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pinsync.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\nmax_body_bytes = 2048\n",
        )
        .unwrap();
        let config = Config::from_file(&path).unwrap();
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.max_body_bytes, 2048);
        assert_eq!(config.data_dir, PathBuf::from("./pinsync-data"));

        std::fs::write(&path, "listn = \"127.0.0.1:9999\"\n").unwrap();
        let error = format!("{:#}", Config::from_file(&path).unwrap_err());
        assert!(error.contains("unknown field"), "{error}");
    }

    #[test]
    fn a_partial_pinterest_app_is_refused_and_its_secret_never_printed() {
        let mut config = Config::default();
        config.pinterest.client_id = Some("123".into());
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("client_secret"), "{error}");

        config.pinterest.client_secret = Some("hunter2".into());
        config.pinterest.redirect_uri = Some("https://x.example/cb".into());
        assert!(config.validate().is_ok());
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn flags_override_everything_and_validation_names_the_field() {
        let overrides = Overrides {
            listen: Some("127.0.0.1:1234".parse().unwrap()),
            ..Overrides::default()
        };
        assert_eq!(Config::load(&overrides).unwrap().listen.port(), 1234);
        let tiny = Config {
            max_body_bytes: 10,
            ..Config::default()
        };
        assert!(
            tiny.validate()
                .unwrap_err()
                .to_string()
                .contains("max_body_bytes")
        );
    }

    #[test]
    fn a_database_url_never_shows_its_password() {
        let url = DatabaseUrl(
            "postgres://app:s3cret@db.internal:5432/pinsync?sslmode=disable&password=other".into(),
        );
        let shown = format!("{url} {url:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("other"),
            "{shown}"
        );
        assert_eq!(
            url.redacted(),
            "postgres://app:***@db.internal:5432/pinsync?sslmode=disable&password=***"
        );
        let config = Config {
            database_url: Some(url),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(
            config
                .store_description()
                .starts_with("PostgreSQL at postgres://app:***@")
        );
        assert_eq!(
            DatabaseUrl("postgresql://postgres@127.0.0.1/db".into()).redacted(),
            "postgresql://postgres@127.0.0.1/db"
        );
    }

    #[test]
    fn a_database_url_must_be_postgres() {
        let mut config: Config = toml::from_str("database_url = \"mysql://u:p@h/db\"\n").unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.contains("database_url") && !error.contains(":p@"),
            "{error}"
        );
        config.database_url = Some(DatabaseUrl("postgresql://u@h/db".into()));
        config.validate().unwrap();
        config.database_max_connections = 0;
        assert!(config.validate().is_err());
    }
}
