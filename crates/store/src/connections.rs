//! The [`ConnectionStore`] part of the store: Pinterest connections (encrypted tokens, OAuth state, ad accounts) and notification events. Filled in by the connection issue.

use async_trait::async_trait;

/// Pinterest connections (encrypted tokens, OAuth state, ad accounts) and notification events. Filled in by the connection issue.
#[async_trait]
pub trait ConnectionStore: Send + Sync {}
