//! Rate-limit categories and their configurable windows (defaults from Pinterest's docs).

use std::time::Duration;

/// Pinterest's `x-ratelimit-category` of an endpoint; calls in one category add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateCategory {
    AdsRead,
    AdsWrite,
    OrgRead,
    OrgWrite,
}

impl RateCategory {
    pub const ALL: [RateCategory; 4] = [
        RateCategory::AdsRead,
        RateCategory::AdsWrite,
        RateCategory::OrgRead,
        RateCategory::OrgWrite,
    ];

    /// Stable snake_case name, as Pinterest spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdsRead => "ads_read",
            Self::AdsWrite => "ads_write",
            Self::OrgRead => "org_read",
            Self::OrgWrite => "org_write",
        }
    }

    pub(super) fn index(self) -> usize {
        match self {
            Self::AdsRead => 0,
            Self::AdsWrite => 1,
            Self::OrgRead => 2,
            Self::OrgWrite => 3,
        }
    }
}

/// At most `limit` request starts in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimit {
    pub limit: u32,
    pub window: Duration,
}

impl WindowLimit {
    pub const fn per_second(limit: u32) -> Self {
        Self {
            limit,
            window: Duration::from_secs(1),
        }
    }

    pub const fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            window: Duration::from_secs(60),
        }
    }
}

/// Windows per category plus windows over all requests, for ONE user token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Default 1,000 per 60 s.
    pub ads_read: Vec<WindowLimit>,
    /// Default 7 per 1 s and 400 per 60 s (Braze's 7 req/s and Pinterest's 400/min).
    pub ads_write: Vec<WindowLimit>,
    /// Default 1,000 per 60 s.
    pub org_read: Vec<WindowLimit>,
    /// Default 100 per 60 s.
    pub org_write: Vec<WindowLimit>,
    /// Applies to every request whatever its category. Default 100 per 1 s.
    pub all_requests: Vec<WindowLimit>,
    /// Added to every window's length, so that network jitter between our start and
    /// Pinterest's arrival clock cannot squeeze two windows' worth into one. Default 50 ms.
    pub safety_margin: Duration,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            ads_read: vec![WindowLimit::per_minute(1_000)],
            ads_write: vec![WindowLimit::per_second(7), WindowLimit::per_minute(400)],
            org_read: vec![WindowLimit::per_minute(1_000)],
            org_write: vec![WindowLimit::per_minute(100)],
            all_requests: vec![WindowLimit::per_second(100)],
            safety_margin: Duration::from_millis(50),
        }
    }
}

/// A configuration that could never admit a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitConfigError {
    #[error("rate limit for {scope} has a limit of 0")]
    ZeroLimit { scope: &'static str },
    #[error("rate limit for {scope} has an empty window")]
    ZeroWindow { scope: &'static str },
}

impl RateLimitConfig {
    /// The windows of one category.
    pub fn category(&self, category: RateCategory) -> &[WindowLimit] {
        match category {
            RateCategory::AdsRead => &self.ads_read,
            RateCategory::AdsWrite => &self.ads_write,
            RateCategory::OrgRead => &self.org_read,
            RateCategory::OrgWrite => &self.org_write,
        }
    }

    /// Rejects limits of 0 and zero-length windows.
    pub fn validate(&self) -> Result<(), RateLimitConfigError> {
        let scopes = RateCategory::ALL
            .iter()
            .map(|c| (c.as_str(), self.category(*c)))
            .chain(std::iter::once((
                "all_requests",
                self.all_requests.as_slice(),
            )));
        for (scope, windows) in scopes {
            for window in windows {
                if window.limit == 0 {
                    return Err(RateLimitConfigError::ZeroLimit { scope });
                }
                if window.window.is_zero() {
                    return Err(RateLimitConfigError::ZeroWindow { scope });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_pinterests_published_limits() {
        let config = RateLimitConfig::default();
        assert_eq!(
            config.category(RateCategory::AdsWrite),
            [WindowLimit::per_second(7), WindowLimit::per_minute(400)]
        );
        assert_eq!(config.ads_read, [WindowLimit::per_minute(1_000)]);
        assert_eq!(config.org_read, [WindowLimit::per_minute(1_000)]);
        assert_eq!(config.org_write, [WindowLimit::per_minute(100)]);
        assert_eq!(config.all_requests, [WindowLimit::per_second(100)]);
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn a_zero_limit_is_rejected_with_its_scope() {
        let config = RateLimitConfig {
            org_write: vec![WindowLimit::per_minute(0)],
            ..RateLimitConfig::default()
        };
        assert_eq!(
            config.validate(),
            Err(RateLimitConfigError::ZeroLimit { scope: "org_write" })
        );
    }
}
