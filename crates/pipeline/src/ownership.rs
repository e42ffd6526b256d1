//! Connection ownership: one rate budget per Pinterest token across pinsync instances.
//!
//! Every instance keeps its own limiter per token, so the per-token limits hold globally only
//! if one instance at a time sends for a connection. With [`Ownership::Leased`] each running
//! pipeline is an instance (its `holder` id) and delivers (sends, retries, polls statuses)
//! only for connections whose lease `connection:<key>` it holds in the store. A heartbeat
//! renews the held leases (every 3 s, TTL 10 s by default); a dead owner's lease lapses after
//! its TTL and the next instance with due work for the connection takes it over; graceful
//! shutdown releases the leases at once.
//!
//! Work is spread: each live instance also holds an `instance:<holder>` lease, and an instance
//! takes a free connection only while it holds fewer than its fair share
//! (`ceil(connections / live instances)`).
//!
//! Ownership is not fencing: an owner cut off from the database keeps sending until its own
//! view of the lease lapses (it stops at `renewed_at + ttl` on its clock, the very time the
//! lease expires for the others), so clocks must agree within a small part of the TTL.
//!
//! A new owner starts with a fresh limiter that knows nothing of the previous owner's
//! requests. So after taking over a lease whose previous term ended less than
//! `handover_quiet` ago (61 s: the longest rate window plus a margin), it holds the lease
//! but sends nothing until `handover_quiet` after that end: every request of the previous
//! owner has left every window by then, and the budget holds across the handover.
//!
//! [`Ownership::Sole`] (the default, one instance on SQLite) owns every connection and
//! touches no lease.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::Mutex;
use pinsync_store::StoreError;

use crate::Pipeline;
use crate::config::millis;
use crate::directory::ConnectionKey;

/// The prefix of a connection's lease name.
pub const CONNECTION_LEASE_PREFIX: &str = "connection:";
/// The prefix of an instance's liveness lease name.
pub const INSTANCE_LEASE_PREFIX: &str = "instance:";
/// The longest lease TTL allowed: a dead owner's connections wait at most this long.
pub const MAX_LEASE_TTL: Duration = Duration::from_secs(10);

/// Who may send for a connection.
#[derive(Debug, Clone, Default)]
pub enum Ownership {
    /// This pipeline is the only one on its database and owns every connection.
    #[default]
    Sole,
    /// Several instances share the database; connections are leased one owner at a time.
    Leased(LeaseSettings),
}

/// The lease parameters of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseSettings {
    /// This instance's id, unique among the instances on the database.
    pub holder: String,
    /// How long a lease lasts unless renewed. At most [`MAX_LEASE_TTL`]; default 10 s.
    pub ttl: Duration,
    /// How often held leases are renewed. Under half the TTL; default 3 s.
    pub heartbeat: Duration,
    /// After a handover, how long from the end of the previous term before the new owner
    /// sends. At least the longest rate window of a token; default 61 s (60 s + 1 s).
    pub handover_quiet: Duration,
}

impl LeaseSettings {
    /// The defaults (TTL 10 s, heartbeat 3 s) for the instance `holder`.
    pub fn new(holder: impl Into<String>) -> Self {
        Self {
            holder: holder.into(),
            ttl: MAX_LEASE_TTL,
            heartbeat: Duration::from_secs(3),
            handover_quiet: Duration::from_secs(61),
        }
    }

    /// The defaults with a fresh instance id: the process id plus 64 random bits, so that
    /// instances on different hosts never share one.
    pub fn for_this_process() -> Self {
        Self::new(format!(
            "pinsync-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ))
    }

    /// Rejects a TTL over [`MAX_LEASE_TTL`], a heartbeat of half the TTL or more, and an
    /// empty holder.
    pub fn validate(&self) -> Result<(), String> {
        if self.holder.is_empty() {
            return Err("the instance id is empty".into());
        }
        if self.ttl.is_zero() || self.ttl > MAX_LEASE_TTL {
            return Err(format!(
                "the lease TTL must be between 1 ms and {} s",
                MAX_LEASE_TTL.as_secs()
            ));
        }
        if self.heartbeat.is_zero() || self.heartbeat * 2 >= self.ttl {
            return Err("the lease heartbeat must be under half the TTL".into());
        }
        Ok(())
    }
}

/// The leases this instance believes it holds, by connection, and when each lapses on this
/// instance's clock.
#[derive(Default)]
pub(crate) struct OwnedLeases {
    state: Mutex<OwnedState>,
}

#[derive(Default)]
struct OwnedState {
    held: HashMap<ConnectionKey, Held>,
    /// Connections another instance held (or left to the others' fair share) at our last
    /// try → when to try again.
    refused: HashMap<ConnectionKey, i64>,
    /// When the instance lease was last renewed.
    instance_renewed_at: Option<i64>,
}

/// A lease this instance holds, on its clock.
#[derive(Debug, Clone, Copy)]
struct Held {
    renewed_at: i64,
    /// The term's end unless renewed: nothing is sent from then on.
    valid_until: i64,
    /// The end of the handover quiet: nothing is sent before.
    sends_from: i64,
}

impl Held {
    fn may_send_at(&self, now: i64) -> bool {
        self.valid_until > now && self.sends_from <= now
    }
}

fn lease_name(key: &ConnectionKey) -> String {
    format!("{CONNECTION_LEASE_PREFIX}{}", key.0)
}

fn instance_lease_name(holder: &str) -> String {
    format!("{INSTANCE_LEASE_PREFIX}{holder}")
}

impl Pipeline {
    fn lease_settings(&self) -> Option<&LeaseSettings> {
        match &self.inner.settings.ownership {
            Ownership::Sole => None,
            Ownership::Leased(settings) => Some(settings),
        }
    }

    /// Whether this instance may send for `connection` now (it holds the lease and any
    /// handover quiet is over), without asking the store.
    pub fn owns(&self, connection: &ConnectionKey) -> bool {
        if self.lease_settings().is_none() {
            return true;
        }
        let now = self.now();
        let state = self.inner.owned.state.lock();
        state
            .held
            .get(connection)
            .is_some_and(|held| held.may_send_at(now))
    }

    /// The connections this instance holds the lease of, by key.
    pub fn owned_connections(&self) -> Vec<ConnectionKey> {
        let now = self.now();
        let state = self.inner.owned.state.lock();
        let mut keys: Vec<_> = state
            .held
            .iter()
            .filter(|(_, held)| held.valid_until > now)
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// Makes sure this instance owns `connection` before it spends the token's budget:
    /// renews a held lease due for its heartbeat, or takes a free one within the fair share.
    /// True when it may send now (see [`Pipeline::owns`]).
    pub(crate) async fn acquire_connection(&self, connection: &ConnectionKey) -> bool {
        let Some(settings) = self.lease_settings().cloned() else {
            return true;
        };
        let now = self.now();
        let heartbeat = millis(settings.heartbeat);
        {
            let state = self.inner.owned.state.lock();
            if let Some(held) = state.held.get(connection)
                && held.valid_until > now
                && now - held.renewed_at < heartbeat
            {
                return held.may_send_at(now);
            }
            if !state.held.contains_key(connection)
                && state.refused.get(connection).is_some_and(|at| *at > now)
            {
                return false;
            }
        }
        let held_already = self.inner.owned.state.lock().held.contains_key(connection);
        if !held_already {
            if let Err(error) = self.renew_instance_lease(&settings, now).await {
                tracing::warn!(%error, "cannot renew this instance's lease");
                return false;
            }
            match self.within_fair_share(&settings, now).await {
                Ok(true) => {}
                Ok(false) => {
                    self.note_refused(connection, now + heartbeat);
                    return false;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot count the instances");
                    return false;
                }
            }
        }
        self.try_lease(&settings, connection, now).await;
        self.owns(connection)
    }

    /// One try at taking or renewing the lease; updates what this instance believes it holds.
    async fn try_lease(&self, settings: &LeaseSettings, connection: &ConnectionKey, now: i64) {
        let ttl = millis(settings.ttl);
        let name = lease_name(connection);
        let store = &self.inner.store;
        let acquired = store
            .try_acquire_lease(&name, &settings.holder, now, ttl)
            .await;
        let newly_taken = matches!(acquired, Ok(true))
            && !self.inner.owned.state.lock().held.contains_key(connection);
        // Refused: ask again when the other holder's term ends, or at the next heartbeat.
        // Taken: the previous term's end starts the handover quiet.
        let mut retry_at = now + millis(settings.heartbeat);
        let mut sends_from = now;
        if matches!(acquired, Ok(false)) || newly_taken {
            match store.lease(&name).await {
                Ok(Some(lease)) if newly_taken => {
                    if let Some(ended) = lease.previous_term_ended_at {
                        sends_from = now.max(ended + millis(settings.handover_quiet));
                    }
                }
                Ok(Some(lease)) => retry_at = retry_at.min(lease.expires_at),
                Ok(None) => {}
                // Not knowing when the previous term ended: wait the whole quiet.
                Err(_) if newly_taken => sends_from = now + millis(settings.handover_quiet),
                Err(_) => {}
            }
        }
        let mut state = self.inner.owned.state.lock();
        match acquired {
            Ok(true) => {
                let held = state
                    .held
                    .entry(connection.clone())
                    .or_insert_with(|| Held {
                        renewed_at: now,
                        valid_until: now + ttl,
                        sends_from,
                    });
                held.renewed_at = now;
                held.valid_until = now + ttl;
                if newly_taken {
                    tracing::info!(
                        connection = %connection.0,
                        holder = %settings.holder,
                        quiet_ms = sends_from - now,
                        "took the connection's lease"
                    );
                    let owned = state.held.len();
                    crate::telemetry::lease_change("taken", owned);
                }
                state.refused.remove(connection);
            }
            Ok(false) => {
                if state.held.remove(connection).is_some() {
                    tracing::warn!(connection = %connection.0, "lost the connection's lease to another instance");
                    let owned = state.held.len();
                    crate::telemetry::lease_change("lost", owned);
                }
                state.refused.insert(connection.clone(), retry_at);
            }
            Err(error) => {
                // Keep the old term: sending stops by itself when it lapses.
                tracing::warn!(connection = %connection.0, %error, "cannot renew the connection's lease");
            }
        }
    }

    fn note_refused(&self, connection: &ConnectionKey, until: i64) {
        let mut state = self.inner.owned.state.lock();
        state.refused.insert(connection.clone(), until);
    }

    async fn renew_instance_lease(
        &self,
        settings: &LeaseSettings,
        now: i64,
    ) -> Result<(), StoreError> {
        let fresh = self
            .inner
            .owned
            .state
            .lock()
            .instance_renewed_at
            .is_some_and(|at| now - at < millis(settings.heartbeat));
        if fresh {
            return Ok(());
        }
        let name = instance_lease_name(&settings.holder);
        self.inner
            .store
            .try_acquire_lease(&name, &settings.holder, now, millis(settings.ttl))
            .await?;
        self.inner.owned.state.lock().instance_renewed_at = Some(now);
        Ok(())
    }

    /// Whether taking one more connection keeps this instance within
    /// `ceil(connections / live instances)`, counting the one it is about to take.
    async fn within_fair_share(
        &self,
        settings: &LeaseSettings,
        now: i64,
    ) -> Result<bool, StoreError> {
        let store = &self.inner.store;
        let instances = store.live_leases(INSTANCE_LEASE_PREFIX, now).await?.len();
        let connections = store.live_leases(CONNECTION_LEASE_PREFIX, now).await?;
        let mine = connections
            .iter()
            .filter(|lease| lease.holder == settings.holder)
            .count();
        let wanted = connections.len() + 1;
        let share = wanted.div_ceil(instances.max(1));
        Ok(mine < share)
    }

    /// The heartbeat: renews every held lease and this instance's own. A lease found taken
    /// is dropped; a store error leaves the old term to lapse.
    pub async fn renew_leases(&self) {
        let Some(settings) = self.lease_settings().cloned() else {
            return;
        };
        let now = self.now();
        if let Err(error) = self.renew_instance_lease(&settings, now).await {
            tracing::warn!(%error, "cannot renew this instance's lease");
        }
        let held: Vec<ConnectionKey> = self.inner.owned.state.lock().held.keys().cloned().collect();
        for connection in held {
            self.try_lease(&settings, &connection, now).await;
        }
    }

    /// Gives every held lease back (graceful shutdown), so another instance takes the
    /// connections over at once instead of after the TTL.
    pub async fn release_leases(&self) {
        let Some(settings) = self.lease_settings().cloned() else {
            return;
        };
        let held: Vec<ConnectionKey> = {
            let mut state = self.inner.owned.state.lock();
            state.instance_renewed_at = None;
            state.refused.clear();
            state.held.drain().map(|(key, _)| key).collect()
        };
        let now = self.now();
        let store = &self.inner.store;
        for connection in held {
            match store
                .release_lease(&lease_name(&connection), &settings.holder, now)
                .await
            {
                Ok(_) => crate::telemetry::lease_change("released", 0),
                Err(error) => {
                    tracing::warn!(connection = %connection.0, %error, "cannot release the connection's lease");
                }
            }
        }
        let _ = store
            .release_lease(
                &instance_lease_name(&settings.holder),
                &settings.holder,
                now,
            )
            .await;
    }

    /// Renews the leases every heartbeat until `stop` completes (part of [`Pipeline::run`]).
    pub(crate) async fn heartbeat(&self, stop: impl std::future::Future<Output = ()>) {
        let Some(settings) = self.lease_settings().cloned() else {
            return stop.await;
        };
        tokio::pin!(stop);
        let mut ticks = tokio::time::interval(settings.heartbeat);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => self.renew_leases().await,
                () = &mut stop => return,
            }
        }
    }
}
