//! Fault injection: a fraction of 500/503 answers, of 429s (plain and "spam"), added latency
//! and dropped connections, switchable at run time.

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Which faults to inject into `/v5` requests. Fractions are probabilities in 0.0–1.0 whose
/// sum must not exceed 1.0; each request draws one of them (or none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Fraction answered 500 `{"code":500,...}`.
    pub error_500_fraction: f64,
    /// Fraction answered 503 `{"code":4197,...}`.
    pub error_503_fraction: f64,
    /// Fraction answered 429 code 8 (plain).
    pub rate_limit_fraction: f64,
    /// Fraction answered 429 code 8 with a spam `message_detail`.
    pub spam_rate_limit_fraction: f64,
    /// Fraction whose connection is closed before a complete response is sent.
    pub drop_connection_fraction: f64,
    /// Delay added before every `/v5` request is handled.
    pub latency: Latency,
}

/// Added latency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    #[default]
    None,
    /// Always `ms` milliseconds.
    Fixed { ms: u64 },
    /// Uniformly between `min_ms` and `max_ms` milliseconds.
    Uniform { min_ms: u64, max_ms: u64 },
}

/// The fault picked for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    DropConnection,
    ServerError(u16),
    RateLimited { spam: bool },
}

impl FaultConfig {
    pub fn validate(&self) -> Result<(), String> {
        let fractions = [
            self.error_500_fraction,
            self.error_503_fraction,
            self.rate_limit_fraction,
            self.spam_rate_limit_fraction,
            self.drop_connection_fraction,
        ];
        if fractions.iter().any(|f| !(0.0..=1.0).contains(f)) {
            return Err("fault fractions must be between 0.0 and 1.0".into());
        }
        if fractions.iter().sum::<f64>() > 1.0 + 1e-9 {
            return Err("fault fractions must add up to at most 1.0".into());
        }
        if let Latency::Uniform { min_ms, max_ms } = self.latency
            && min_ms > max_ms
        {
            return Err("latency.min_ms must not exceed latency.max_ms".into());
        }
        Ok(())
    }

    /// The delay to add to this request.
    pub fn pick_latency(&self) -> Duration {
        match self.latency {
            Latency::None => Duration::ZERO,
            Latency::Fixed { ms } => Duration::from_millis(ms),
            Latency::Uniform { min_ms, max_ms } => {
                Duration::from_millis(rand::rng().random_range(min_ms..=max_ms))
            }
        }
    }

    /// Draws the fault for this request, if any.
    pub fn pick_fault(&self) -> Option<Fault> {
        let roll: f64 = rand::rng().random();
        let choices = [
            (self.drop_connection_fraction, Fault::DropConnection),
            (self.error_500_fraction, Fault::ServerError(500)),
            (self.error_503_fraction, Fault::ServerError(503)),
            (self.rate_limit_fraction, Fault::RateLimited { spam: false }),
            (
                self.spam_rate_limit_fraction,
                Fault::RateLimited { spam: true },
            ),
        ];
        let mut threshold = 0.0;
        for (fraction, fault) in choices {
            threshold += fraction;
            if fraction > 0.0 && roll < threshold {
                return Some(fault);
            }
        }
        None
    }
}
