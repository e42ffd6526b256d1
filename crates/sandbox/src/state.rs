//! The sandbox's in-memory state, shared by every handler: seeded accounts and roles, OAuth
//! artefacts, customer lists, audiences, limits, faults and statistics.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};

use crate::audiences::Audience;
use crate::clock::Clock;
use crate::config::{SandboxConfig, UserConfig, WRITE_ROLES};
use crate::error::ApiError;
use crate::faults::FaultConfig;
use crate::rate_limit::RateLimiter;
use crate::stats::StatsRecorder;
use crate::tokens::TokenStore;

/// An ad account with its current roles (user id → role).
#[derive(Debug, Clone)]
pub(crate) struct AdAccount {
    pub id: String,
    pub name: String,
    pub owner_user_id: String,
    pub country: String,
    pub currency: String,
    pub time_zone: String,
    pub created_time: u64,
    pub roles: BTreeMap<String, String>,
}

/// A customer list: Pinterest's counters plus the true membership.
#[derive(Debug)]
pub(crate) struct CustomerList {
    pub id: u64,
    pub ad_account_id: String,
    pub name: String,
    pub created_at: Duration,
    pub updated_time: u64,
    pub num_batches: u64,
    pub num_uploaded_user_records: u64,
    pub num_removed_user_records: u64,
    pub exceptions: serde_json::Value,
    /// Records added and not removed.
    pub members: HashSet<String, foldhash::fast::RandomState>,
    /// How many of `members` belong to the match universe.
    pub matched: u64,
}

/// Decides, deterministically, which identifiers belong to Pinterest users.
#[derive(Debug, Clone)]
pub(crate) struct MatchUniverse {
    threshold: u64,
    salt: u64,
}

const MATCH_RESOLUTION: u64 = 1_000_000;

impl MatchUniverse {
    pub fn new(fraction: f64, salt: &str) -> Self {
        Self {
            threshold: (fraction * MATCH_RESOLUTION as f64).round() as u64,
            salt: fnv1a(0xcbf2_9ce4_8422_2325, salt.as_bytes()),
        }
    }

    pub fn contains(&self, record: &str) -> bool {
        let hash = fnv1a(self.salt, record.as_bytes());
        // Mix the high bits in: FNV's low bits alone are weak for structured input.
        let mixed = hash ^ (hash >> 29) ^ (hash >> 47);
        mixed % MATCH_RESOLUTION < self.threshold
    }
}

fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = seed;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Everything behind a [`crate::Sandbox`].
pub(crate) struct SandboxState {
    pub config: SandboxConfig,
    pub clock: Arc<dyn Clock>,
    pub ad_accounts: RwLock<BTreeMap<String, AdAccount>>,
    pub tokens: TokenStore,
    pub customer_lists: RwLock<BTreeMap<u64, Arc<Mutex<CustomerList>>>>,
    pub audiences: Mutex<BTreeMap<u64, Audience>>,
    pub match_universe: MatchUniverse,
    pub rate_limiter: RateLimiter,
    pub faults: RwLock<FaultConfig>,
    pub stats: StatsRecorder,
    next_customer_list_id: AtomicU64,
    next_audience_id: AtomicU64,
    next_request_id: AtomicU64,
}

impl SandboxState {
    pub fn new(config: SandboxConfig, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now_secs();
        let user_id = |name: &str| {
            config
                .find_user(name)
                .map(|u| u.id.clone())
                .unwrap_or_else(|| name.to_owned())
        };
        let ad_accounts = config
            .ad_accounts
            .iter()
            .map(|a| {
                let account = AdAccount {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    owner_user_id: user_id(&a.owner),
                    country: a.country.clone(),
                    currency: a.currency.clone(),
                    time_zone: a.time_zone.clone(),
                    created_time: now,
                    roles: a
                        .roles
                        .iter()
                        .map(|(user, role)| (user_id(user), role.clone()))
                        .collect(),
                };
                (a.id.clone(), account)
            })
            .collect();
        Self {
            match_universe: MatchUniverse::new(
                config.matching.match_fraction,
                &config.matching.salt,
            ),
            rate_limiter: RateLimiter::new(config.rate_limits.clone()),
            faults: RwLock::new(config.faults.clone()),
            tokens: TokenStore::default(),
            ad_accounts: RwLock::new(ad_accounts),
            customer_lists: RwLock::default(),
            audiences: Mutex::default(),
            stats: StatsRecorder::default(),
            next_customer_list_id: AtomicU64::new(4_189_755),
            next_audience_id: AtomicU64::new(2_542_623_499_806),
            next_request_id: AtomicU64::new(1),
            config,
            clock,
        }
    }

    pub fn new_customer_list_id(&self) -> u64 {
        self.next_customer_list_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn new_audience_id(&self) -> u64 {
        self.next_audience_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh value for the `x-pinterest-rid` header.
    pub fn new_request_id(&self) -> String {
        let n = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub fn user(&self, id_or_username: &str) -> Option<&UserConfig> {
        self.config.find_user(id_or_username)
    }

    /// Checks that `user_id` may read (or, with `write`, write) the ad account; an unknown
    /// account is indistinguishable from one without access.
    pub fn require_account_access(
        &self,
        user_id: &str,
        ad_account_id: &str,
        write: bool,
    ) -> Result<(), ApiError> {
        let accounts = self.ad_accounts.read();
        let role = accounts
            .get(ad_account_id)
            .and_then(|a| a.roles.get(user_id))
            .ok_or(ApiError::Forbidden)?;
        if write && !WRITE_ROLES.contains(&role.as_str()) {
            return Err(ApiError::Forbidden);
        }
        Ok(())
    }

    pub fn customer_list(&self, id: u64) -> Option<Arc<Mutex<CustomerList>>> {
        self.customer_lists.read().get(&id).cloned()
    }

    /// Whether processing that started at `created_at` is over.
    pub fn processing_done(&self, created_at: Duration) -> bool {
        let delay = Duration::from_secs(self.config.matching.processing_delay_secs);
        self.clock.now() >= created_at + delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_match_universe_holds_about_the_configured_fraction() {
        let universe = MatchUniverse::new(0.6, "salt");
        let matched = (0..20_000)
            .filter(|i| universe.contains(&format!("{:064x}", i * 7919)))
            .count();
        assert!((11_400..=12_600).contains(&matched), "{matched}");
        assert!(!MatchUniverse::new(0.0, "salt").contains("a@example.com"));
        assert!(MatchUniverse::new(1.0, "salt").contains("a@example.com"));
    }
}
