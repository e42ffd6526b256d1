//! The [`SyncStore`] part of the store: Claiming and completing sync batches, the membership ledger, retries. Filled in by the sync-pipeline issue.

use async_trait::async_trait;

/// Claiming and completing sync batches, the membership ledger, retries. Filled in by the sync-pipeline issue.
#[async_trait]
pub trait SyncStore: Send + Sync {}
