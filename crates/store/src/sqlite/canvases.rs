//! SQLite implementation of [`crate::CanvasStore`].

use async_trait::async_trait;

use super::SqliteStore;
use crate::CanvasStore;

#[async_trait]
impl CanvasStore for SqliteStore {}
