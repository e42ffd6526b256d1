//! Token-bucket rate limits per (app, user, bucket), following Pinterest's published
//! categories (`ads_write`, `ads_read`, `org_read`, `org_write`) plus the universal per-second cap.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

/// Every limit, in requests per period. A limit of 0 disables that bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Master switch: when false no request is ever rate limited.
    pub enabled: bool,
    /// `ads_write` requests per minute per user per app (Pinterest: 400).
    pub ads_write_per_minute: u32,
    /// `ads_write` requests per second per user per app (Braze's "7 per second").
    pub ads_write_per_second: u32,
    /// `ads_read` requests per minute per user per app (Pinterest: 1,000).
    pub ads_read_per_minute: u32,
    /// `org_read` requests per minute per user per app (1,000).
    pub org_read_per_minute: u32,
    /// `org_write` requests per minute per user per app (100).
    pub org_write_per_minute: u32,
    /// All authenticated requests per second per user per app (Pinterest: 100).
    pub all_per_second: u32,
    /// Emit `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` and, on a 429,
    /// `Retry-After`. Off by default: Pinterest does not document these headers.
    pub emit_headers: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            ads_write_per_minute: 400,
            ads_write_per_second: 7,
            ads_read_per_minute: 1_000,
            org_read_per_minute: 1_000,
            org_write_per_minute: 100,
            all_per_second: 100,
            emit_headers: false,
        }
    }
}

/// Pinterest's rate-limit category of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    AdsRead,
    AdsWrite,
    OrgRead,
    OrgWrite,
}

/// One bucket a request draws from: which limit, refilled over which period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BucketName {
    CategoryPerMinute(Category),
    AdsWritePerSecond,
    AllPerSecond,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled_at: Duration,
}

/// What the caller learns about the tightest bucket, for the optional headers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the tightest bucket is full again (or, when rejected, has one token).
    pub reset_secs: u64,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateDecision {
    /// No limit applies (limits disabled).
    Unlimited,
    Allowed(RateStatus),
    Rejected(RateStatus),
}

/// All buckets of all callers.
#[derive(Debug, Default)]
pub struct RateLimiter {
    config: RwLock<RateLimitConfig>,
    buckets: Mutex<HashMap<(String, String, BucketName), Bucket>>,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config: RwLock::new(config),
            buckets: Mutex::default(),
        }
    }

    pub fn config(&self) -> RateLimitConfig {
        self.config.read().clone()
    }

    /// Replaces the limits; existing buckets keep their fill level, capped to the new size.
    pub fn set_config(&self, config: RateLimitConfig) {
        *self.config.write() = config;
    }

    /// Takes one token from every bucket the request draws from, or none if any is empty.
    pub fn check(&self, app: &str, user: &str, category: Category, now: Duration) -> RateDecision {
        let config = self.config.read().clone();
        if !config.enabled {
            return RateDecision::Unlimited;
        }
        let per_minute = match category {
            Category::AdsRead => config.ads_read_per_minute,
            Category::AdsWrite => config.ads_write_per_minute,
            Category::OrgRead => config.org_read_per_minute,
            Category::OrgWrite => config.org_write_per_minute,
        };
        let mut limits = vec![
            (BucketName::CategoryPerMinute(category), per_minute, 60.0),
            (BucketName::AllPerSecond, config.all_per_second, 1.0),
        ];
        if category == Category::AdsWrite {
            limits.push((
                BucketName::AdsWritePerSecond,
                config.ads_write_per_second,
                1.0,
            ));
        }
        limits.retain(|(_, limit, _)| *limit > 0);
        if limits.is_empty() {
            return RateDecision::Unlimited;
        }

        let mut buckets = self.buckets.lock();
        let mut levels = Vec::with_capacity(limits.len());
        for (name, limit, period_secs) in &limits {
            let capacity = f64::from(*limit);
            let bucket = buckets
                .entry((app.to_owned(), user.to_owned(), *name))
                .or_insert(Bucket {
                    tokens: capacity,
                    refilled_at: now,
                });
            let rate = capacity / period_secs;
            let elapsed = now.saturating_sub(bucket.refilled_at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
            bucket.refilled_at = bucket.refilled_at.max(now);
            levels.push((*name, *limit, rate, bucket.tokens));
        }
        let allowed = levels.iter().all(|(_, _, _, tokens)| *tokens >= 1.0);
        if allowed {
            for (name, ..) in &levels {
                if let Some(bucket) = buckets.get_mut(&(app.to_owned(), user.to_owned(), *name)) {
                    bucket.tokens -= 1.0;
                }
            }
        }
        let status = tightest(&levels, allowed);
        if allowed {
            RateDecision::Allowed(status)
        } else {
            RateDecision::Rejected(status)
        }
    }
}

/// Picks the bucket with the fewest tokens left and describes it.
fn tightest(levels: &[(BucketName, u32, f64, f64)], allowed: bool) -> RateStatus {
    let mut best: Option<&(BucketName, u32, f64, f64)> = None;
    for level in levels {
        if best.is_none_or(|b| level.3 < b.3) {
            best = Some(level);
        }
    }
    let Some((_, limit, rate, tokens)) = best else {
        return RateStatus {
            limit: 0,
            remaining: 0,
            reset_secs: 0,
        };
    };
    let left = if allowed { tokens - 1.0 } else { *tokens };
    let missing = if allowed {
        f64::from(*limit) - left
    } else {
        1.0 - left
    };
    RateStatus {
        limit: *limit,
        remaining: left.max(0.0).floor() as u32,
        reset_secs: (missing.max(0.0) / rate).ceil() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_second_write_cap_refills_after_a_second() {
        let limiter = RateLimiter::new(RateLimitConfig::default());
        let t0 = Duration::from_secs(1_000);
        for _ in 0..7 {
            assert!(matches!(
                limiter.check("app", "u", Category::AdsWrite, t0),
                RateDecision::Allowed(_)
            ));
        }
        let rejected = limiter.check("app", "u", Category::AdsWrite, t0);
        assert!(matches!(rejected, RateDecision::Rejected(s) if s.reset_secs == 1));
        assert!(matches!(
            limiter.check("app", "other-user", Category::AdsWrite, t0),
            RateDecision::Allowed(_)
        ));
        assert!(matches!(
            limiter.check("app", "u", Category::AdsWrite, t0 + Duration::from_secs(1)),
            RateDecision::Allowed(_)
        ));
    }
}
