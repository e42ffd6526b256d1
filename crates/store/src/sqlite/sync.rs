//! SQLite implementation of [`crate::SyncStore`].

use async_trait::async_trait;

use super::SqliteStore;
use crate::SyncStore;

#[async_trait]
impl SyncStore for SqliteStore {}
