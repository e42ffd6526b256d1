//! Hands out the one shared [`RateLimiter`] of each Pinterest connection (user token).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::config::{RateLimitConfig, RateLimitConfigError};
use super::rate_limiter::RateLimiter;

/// Keyed by connection id: every caller asking for the same connection gets the same
/// limiter, so all of that token's traffic is counted together.
#[derive(Debug)]
pub struct RateLimiterRegistry {
    config: RateLimitConfig,
    limiters: Mutex<HashMap<String, Arc<RateLimiter>>>,
}

impl RateLimiterRegistry {
    pub fn new(config: RateLimitConfig) -> Result<Self, RateLimitConfigError> {
        config.validate()?;
        Ok(Self {
            config,
            limiters: Mutex::new(HashMap::new()),
        })
    }

    /// The limiter of `connection_id`, created on first use.
    pub fn limiter(&self, connection_id: &str) -> Arc<RateLimiter> {
        let mut limiters = self.limiters.lock();
        if let Some(existing) = limiters.get(connection_id) {
            return Arc::clone(existing);
        }
        let limiter = Arc::new(RateLimiter::from_validated(&self.config));
        limiters.insert(connection_id.to_owned(), Arc::clone(&limiter));
        limiter
    }

    /// Drops the registry's handle (e.g. on disconnect); callers holding it keep theirs.
    pub fn forget(&self, connection_id: &str) {
        self.limiters.lock().remove(connection_id);
    }

    /// Connections with a limiter.
    pub fn connection_ids(&self) -> Vec<String> {
        self.limiters.lock().keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_connection_gets_the_same_limiter_and_others_get_their_own() {
        let registry = RateLimiterRegistry::new(RateLimitConfig::default()).unwrap();
        let first = registry.limiter("conn-1");
        let again = registry.limiter("conn-1");
        let other = registry.limiter("conn-2");

        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &other));
        registry.forget("conn-1");
        assert!(!Arc::ptr_eq(&first, &registry.limiter("conn-1")));
    }
}
