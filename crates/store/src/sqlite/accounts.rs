//! SQLite implementation of [`crate::AccountStore`].

use async_trait::async_trait;

use super::SqliteStore;
use crate::AccountStore;

#[async_trait]
impl AccountStore for SqliteStore {}
