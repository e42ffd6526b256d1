//! The Pinterest connection service of pinsync (the mission's step 1 and the audience side of
//! step 3), between the HTTP API and the Pinterest client:
//!
//! - [`cipher`]: AES-256-GCM encryption at rest of tokens and webhook secrets, and the key;
//! - [`service`]: [`ConnectionService`], the OAuth connect flow, reading, choosing ad
//!   accounts, disconnecting, and clients for a connection;
//! - `tokens`: stored tokens, refresh with rotation, proactive refresh, reacting to errors;
//! - [`status`]: statuses, their human messages, and the JSON views;
//! - [`audiences`]: search, creation (with `pending_creation`), Pinterest-side status;
//! - [`notify`]: events and signed webhook deliveries retried with backoff;
//! - [`error`]: the [`ConnectError`] enum.
//!
//! It is a crate of its own so the HTTP server, the background loops of `pinsync serve` and
//! the future sync pipeline share one service (and one rate limiter per connection) without
//! depending on each other.
//!
//! **Architecture invariant:** no plain token is ever written to the store or to a log.

pub mod audiences;
pub mod cipher;
pub mod error;
pub mod notify;
pub mod service;
pub mod status;
mod tokens;

pub use tokens::token_context;

pub use audiences::{AudiencePage, AudienceStatus, CreatedAudience};
pub use cipher::{CipherError, TokenCipher};
pub use error::ConnectError;
pub use notify::{DeliveryReport, Notifier, SIGNATURE_HEADER};
pub use service::{CallbackParams, ConnectionService, PinterestSettings, SCOPES};
pub use status::{ConnectionStatus, ConnectionView};
