//! The [`AccountStore`] part of the store: dashboard users (argon2 hashes), their workspaces,
//! sessions and one-time set-up links. Filled in by the dashboard issue.

use async_trait::async_trait;

/// Dashboard users, memberships, sessions and set-up links.
#[async_trait]
pub trait AccountStore: Send + Sync {}
