//! SQLite implementation of [`crate::ConnectionStore`].

use async_trait::async_trait;

use super::SqliteStore;
use crate::ConnectionStore;

#[async_trait]
impl ConnectionStore for SqliteStore {}
