//! pinsync's Pinterest API v5 client, built like a sink, one file per stage:
//!
//! - [`config`]: base URLs, app credentials, timeouts ([`PinterestConfig`]);
//! - [`models`]: wire types (requests, responses, [`Response`] with `x-pinterest-rid`);
//! - [`request`]: request building, one function per endpoint, each with its rate category;
//! - [`service`]: the HTTP send ([`PinterestClient`]);
//! - [`classify`]: the single place where HTTP outcomes become [`PinterestError`]s;
//! - [`limiter`]: one [`RateLimiter`] per user token, from a [`RateLimiterRegistry`];
//! - [`token`] and [`connection`]: token providers and the [`ConnectionClient`] that ties
//!   client, token and limiter together with refresh-and-retry-once.
//!
//! Secrets ([`Secret`], [`AccessToken`], [`RefreshToken`]) never print in `Debug`.

pub mod classify;
pub mod config;
pub mod connection;
pub mod error;
pub mod limiter;
pub mod models;
pub mod request;
pub mod secret;
pub mod service;
pub mod token;

pub use config::PinterestConfig;
pub use connection::ConnectionClient;
pub use error::PinterestError;
pub use limiter::{RateCategory, RateLimitConfig, RateLimiter, RateLimiterRegistry, WindowLimit};
pub use models::{Page, PageRequest, Response};
pub use request::RevocableToken;
pub use secret::{AccessToken, RefreshToken, Secret};
pub use service::{ClientBuildError, PinterestClient};
pub use token::{OAuthTokenProvider, TokenProvider, TokenSet};
