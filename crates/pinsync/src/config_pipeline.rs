//! The `[pipeline]` table of the configuration: how the sync pipeline batches, retries and
//! leases, turned into [`pinsync_pipeline::PipelineSettings`]. Every key has Pinterest-safe
//! defaults (5 s flush, 1,900 records per request, 13 h retries, 10 s connection leases).

use std::time::Duration;

use serde::Deserialize;

/// Pinterest's most records in one customer-list PATCH.
pub const PINTEREST_MAX_RECORDS_PER_REQUEST: usize = 1_900;

/// The `[pipeline]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// A partition's users are sent at the latest this long after the oldest entered its step.
    /// Default 5,000 ms.
    pub flush_interval_ms: u64,
    /// Records in one customer-list PATCH, 1 to 1,900. Default 1,900.
    pub max_records_per_request: usize,
    /// How long after a user's first attempt pinsync keeps retrying. Default 13 h.
    pub retry_horizon_hours: u64,
    /// How long graceful shutdown waits for in-flight requests. Default 30 s.
    pub shutdown_grace_secs: u64,
    /// How often each synced list and audience is read back from Pinterest. Default 600 s.
    pub status_poll_interval_secs: u64,
    /// On PostgreSQL: how long an instance's lease on a connection lasts unless renewed, 2 to
    /// 10 s (the heartbeat is a third of it). Default 10 s.
    pub connection_lease_ttl_secs: u64,
    /// Whether this instance sends to Pinterest. `false` makes an API-only instance (with
    /// several instances on PostgreSQL: it enters users and serves the API and dashboard,
    /// while the others deliver). Default true.
    pub deliver: bool,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        let settings = pinsync_pipeline::PipelineSettings::default();
        Self {
            flush_interval_ms: settings.flush_interval.as_millis() as u64,
            max_records_per_request: settings.max_records_per_request,
            retry_horizon_hours: (settings.retry.horizon_ms / 3_600_000) as u64,
            shutdown_grace_secs: settings.shutdown_grace.as_secs(),
            status_poll_interval_secs: settings.status_poll_interval.as_secs(),
            connection_lease_ttl_secs: pinsync_pipeline::ownership::MAX_LEASE_TTL.as_secs(),
            deliver: true,
        }
    }
}

impl PipelineConfig {
    /// Rejects values the pipeline cannot honour, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=PINTEREST_MAX_RECORDS_PER_REQUEST).contains(&self.max_records_per_request) {
            return Err(format!(
                "pipeline.max_records_per_request must be between 1 and \
                 {PINTEREST_MAX_RECORDS_PER_REQUEST} (got {})",
                self.max_records_per_request
            ));
        }
        if !(100..=3_600_000).contains(&self.flush_interval_ms) {
            return Err(format!(
                "pipeline.flush_interval_ms must be between 100 and 3600000 (got {})",
                self.flush_interval_ms
            ));
        }
        if !(1..=24 * 30).contains(&self.retry_horizon_hours) {
            return Err(format!(
                "pipeline.retry_horizon_hours must be between 1 and 720 (got {})",
                self.retry_horizon_hours
            ));
        }
        if self.status_poll_interval_secs < 10 {
            return Err(format!(
                "pipeline.status_poll_interval_secs must be at least 10 (got {})",
                self.status_poll_interval_secs
            ));
        }
        let max_ttl = pinsync_pipeline::ownership::MAX_LEASE_TTL.as_secs();
        if !(2..=max_ttl).contains(&self.connection_lease_ttl_secs) {
            return Err(format!(
                "pipeline.connection_lease_ttl_secs must be between 2 and {max_ttl} (got {})",
                self.connection_lease_ttl_secs
            ));
        }
        Ok(())
    }

    /// The pipeline's settings (sole ownership of every connection; see [`Self::lease`]).
    pub fn to_settings(&self) -> pinsync_pipeline::PipelineSettings {
        let mut settings = pinsync_pipeline::PipelineSettings {
            flush_interval: Duration::from_millis(self.flush_interval_ms),
            max_records_per_request: self.max_records_per_request,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            status_poll_interval: Duration::from_secs(self.status_poll_interval_secs),
            ..Default::default()
        };
        settings.retry.horizon_ms = self.retry_horizon_hours as i64 * 3_600_000;
        settings
    }

    /// This process's connection lease, for several instances on one database.
    pub fn lease(&self) -> pinsync_pipeline::LeaseSettings {
        let mut lease = pinsync_pipeline::LeaseSettings::for_this_process();
        lease.ttl = Duration::from_secs(self.connection_lease_ttl_secs);
        lease.heartbeat = lease.ttl / 3;
        lease
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_pipelines_own() {
        let config = PipelineConfig::default();
        config.validate().unwrap();
        let settings = config.to_settings();
        let defaults = pinsync_pipeline::PipelineSettings::default();
        assert_eq!(settings.flush_interval, defaults.flush_interval);
        assert_eq!(
            settings.max_records_per_request,
            defaults.max_records_per_request
        );
        assert_eq!(settings.retry, defaults.retry);
        assert_eq!(settings.shutdown_grace, defaults.shutdown_grace);
        let lease = config.lease();
        lease.validate().unwrap();
        assert_eq!(lease.ttl, pinsync_pipeline::ownership::MAX_LEASE_TTL);
    }

    #[test]
    fn out_of_range_values_name_their_key() {
        let defaults = PipelineConfig::default;
        let cases = [
            (
                "max_records_per_request",
                PipelineConfig {
                    max_records_per_request: 1_901,
                    ..defaults()
                },
            ),
            (
                "max_records_per_request",
                PipelineConfig {
                    max_records_per_request: 0,
                    ..defaults()
                },
            ),
            (
                "flush_interval_ms",
                PipelineConfig {
                    flush_interval_ms: 10,
                    ..defaults()
                },
            ),
            (
                "retry_horizon_hours",
                PipelineConfig {
                    retry_horizon_hours: 0,
                    ..defaults()
                },
            ),
            (
                "connection_lease_ttl_secs",
                PipelineConfig {
                    connection_lease_ttl_secs: 11,
                    ..defaults()
                },
            ),
        ];
        for (key, config) in cases {
            let error = config.validate().unwrap_err();
            assert!(error.contains(key), "{key}: {error}");
        }
    }

    #[test]
    fn a_shorter_lease_keeps_its_heartbeat_under_half_the_ttl() {
        let config = PipelineConfig {
            connection_lease_ttl_secs: 2,
            ..Default::default()
        };
        let lease = config.lease();
        lease.validate().unwrap();
        assert!(lease.heartbeat * 2 < lease.ttl);
    }
}
