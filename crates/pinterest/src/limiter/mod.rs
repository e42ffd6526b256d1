//! Per-token rate limiting: one [`RateLimiter`] per Pinterest user token, handed out by a
//! [`RateLimiterRegistry`], enforcing several sliding windows per category at request start.

mod config;
mod rate_limiter;
mod registry;
mod window;

pub use config::{RateCategory, RateLimitConfig, RateLimitConfigError, WindowLimit};
pub use rate_limiter::{LimitScope, LimiterUsage, RateLimiter, WindowUsage};
pub use registry::RateLimiterRegistry;
