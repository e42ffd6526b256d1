//! The [`LeaseStore`] part of the store: named, time-limited leases that let several pinsync
//! instances on one database agree on who does a piece of work (e.g. who sends for a
//! Pinterest connection, so that its rate budget is spent by one instance at a time).
//!
//! A lease is a row `(name, holder, acquired_at, expires_at, previous_term_ended_at)`.
//! Acquiring succeeds when the lease is free, expired, or already held by the caller (then it
//! is a renewal); it is one atomic statement in each backend, so two instances can never both
//! win. Releasing ends the term at once but keeps the row, so whoever takes the lease next
//! learns when the previous term ended (pinsync waits out the previous owner's rate windows
//! from then). Times are the callers' clocks (milliseconds since the epoch): instances are
//! assumed to keep their clocks within a small fraction of the TTL of each other (NTP).

use async_trait::async_trait;

use crate::error::StoreError;

/// A lease as stored: who holds it and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    /// When the current term began (renewals keep this time).
    pub acquired_at: i64,
    /// When it lapses unless renewed (the release time once released).
    pub expires_at: i64,
    /// When the term before the current one ended (lapsed or released), whoever held it;
    /// `None` when the current term is the lease's first.
    pub previous_term_ended_at: Option<i64>,
}

impl Lease {
    /// Whether the lease is still in force at `now`.
    pub fn is_live_at(&self, now: i64) -> bool {
        self.expires_at > now
    }
}

/// Named leases shared by every instance on the database. Every method is one transaction.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease `name` for `holder` until `now + ttl_ms` if it is free, expired at
    /// `now`, or already `holder`'s and live (a renewal, which keeps the term). Returns
    /// whether `holder` holds it now.
    async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Ends `holder`'s live term at `now` (the lease is free from then on); returns whether
    /// it did. Someone else's lease, or a lapsed one, is left alone.
    async fn release_lease(&self, name: &str, holder: &str, now: i64) -> Result<bool, StoreError>;

    /// The stored lease `name`, live or expired, if any.
    async fn lease(&self, name: &str) -> Result<Option<Lease>, StoreError>;

    /// Every lease whose name starts with `prefix` and which is live at `now`, by name.
    async fn live_leases(&self, prefix: &str, now: i64) -> Result<Vec<Lease>, StoreError>;
}
