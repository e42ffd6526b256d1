//! The retry schedule: what happens to the users of a failed audience write, as a pure
//! function of the attempt number, the failure's class, Pinterest's reset hint and the time
//! of the first attempt. The pipeline stores the answer (`RetryAt`) and never sleeps on it.

use crate::reason::ReasonCode;

/// How a failed request failed, as the Pinterest client classified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// 429: slow down.
    RateLimited,
    /// 5xx, timeout, dropped connection.
    Transient,
    /// 401: the token is no longer valid; a human must reconnect.
    InvalidToken,
    /// 403: the connection lost access to the ad account.
    AccessLost,
    /// 404: the customer list or audience was deleted on Pinterest.
    AudienceDeleted,
    /// 400: the request (some record in it) is malformed.
    InvalidRequest,
}

impl FailureClass {
    /// The reason code users get when this failure makes them errored.
    pub fn reason(self) -> ReasonCode {
        match self {
            FailureClass::RateLimited => ReasonCode::RateLimited,
            FailureClass::Transient => ReasonCode::Transient,
            FailureClass::InvalidToken => ReasonCode::InvalidToken,
            FailureClass::AccessLost => ReasonCode::AccessLost,
            FailureClass::AudienceDeleted => ReasonCode::AudienceDeleted,
            FailureClass::InvalidRequest => ReasonCode::InvalidRequest,
        }
    }
}

/// The schedule's settings. Durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first retry's delay; doubles with every attempt. Default 1 s.
    pub base_delay_ms: i64,
    /// The largest ceiling of one delay. Default 10 min.
    pub max_delay_ms: i64,
    /// How long after a user's first attempt pinsync keeps trying. Default 13 h.
    pub horizon_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay_ms: 1_000,
            max_delay_ms: 10 * 60 * 1_000,
            horizon_ms: 13 * 60 * 60 * 1_000,
        }
    }
}

/// What to do with the users of a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Store this next attempt time (ms) and try again then.
    RetryAt(i64),
    /// Stop: the users become errored with this reason.
    GiveUp(ReasonCode),
    /// Hold the connection's (or ad account's) work without spending attempts until a human
    /// fixes it; the users stay pending.
    Pause(ReasonCode),
}

/// One failure of the request made for the `attempt`-th time (1 for the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub attempt: u32,
    pub class: FailureClass,
    /// Pinterest's reset hint (`Retry-After`), in ms from now, when it sent one.
    pub reset_after_ms: Option<i64>,
    /// When the oldest user in the request was first attempted (ms).
    pub first_attempt_at: i64,
}

/// Decides a failure at `now` (ms). `jitter` is a uniform sample in `[0, 1)` (full jitter:
/// the delay is `jitter × min(max_delay, base_delay × 2^(attempt-1))`), raised to the reset
/// hint when there is one. A retry never lands after the horizon: the last one happens at
/// the horizon, and a failure at or past it gives up with the failure's reason.
pub fn decide(policy: &RetryPolicy, failure: &Failure, now: i64, jitter: f64) -> Decision {
    let horizon_end = failure.first_attempt_at.saturating_add(policy.horizon_ms);
    let reason = failure.class.reason();
    match failure.class {
        FailureClass::AudienceDeleted | FailureClass::InvalidRequest => Decision::GiveUp(reason),
        _ if now >= horizon_end => Decision::GiveUp(reason),
        FailureClass::InvalidToken | FailureClass::AccessLost => Decision::Pause(reason),
        FailureClass::RateLimited | FailureClass::Transient => {
            let delay = backoff_delay(policy, failure.attempt, jitter);
            let delay = failure.reset_after_ms.map_or(delay, |hint| delay.max(hint));
            Decision::RetryAt(now.saturating_add(delay).min(horizon_end))
        }
    }
}

/// The full-jitter delay of the retry after the `attempt`-th attempt, in ms.
pub fn backoff_delay(policy: &RetryPolicy, attempt: u32, jitter: f64) -> i64 {
    let doublings = attempt.saturating_sub(1).min(40);
    let ceiling = policy
        .base_delay_ms
        .saturating_mul(1_i64 << doublings)
        .min(policy.max_delay_ms);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    (ceiling as f64 * jitter) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn failure(attempt: u32, class: FailureClass, hint: Option<i64>) -> Failure {
        Failure {
            attempt,
            class,
            reset_after_ms: hint,
            first_attempt_at: 0,
        }
    }

    #[test]
    fn the_schedule_follows_its_table() {
        use FailureClass::*;
        let policy = RetryPolicy::default();
        let table = [
            // (failure, now, jitter, decision)
            (
                failure(1, Transient, None),
                1_000,
                0.5,
                Decision::RetryAt(1_500),
            ),
            (
                failure(3, Transient, None),
                1_000,
                0.5,
                Decision::RetryAt(3_000),
            ),
            (
                failure(3, RateLimited, None),
                1_000,
                0.0,
                Decision::RetryAt(1_000),
            ),
            (
                failure(3, RateLimited, Some(30_000)),
                1_000,
                0.5,
                Decision::RetryAt(31_000),
            ),
            (
                failure(30, Transient, None),
                1_000,
                0.5,
                Decision::RetryAt(301_000),
            ),
            (
                failure(30, Transient, None),
                13 * HOUR - 10,
                0.5,
                Decision::RetryAt(13 * HOUR),
            ),
            (
                failure(30, RateLimited, None),
                13 * HOUR,
                0.5,
                Decision::GiveUp(ReasonCode::RateLimited),
            ),
            (
                failure(30, Transient, None),
                14 * HOUR,
                0.5,
                Decision::GiveUp(ReasonCode::Transient),
            ),
            (
                failure(1, InvalidToken, None),
                1_000,
                0.5,
                Decision::Pause(ReasonCode::InvalidToken),
            ),
            (
                failure(1, InvalidToken, None),
                13 * HOUR,
                0.5,
                Decision::GiveUp(ReasonCode::InvalidToken),
            ),
            (
                failure(1, AccessLost, None),
                1_000,
                0.5,
                Decision::Pause(ReasonCode::AccessLost),
            ),
            (
                failure(1, AudienceDeleted, None),
                1_000,
                0.5,
                Decision::GiveUp(ReasonCode::AudienceDeleted),
            ),
            (
                failure(1, InvalidRequest, None),
                1_000,
                0.5,
                Decision::GiveUp(ReasonCode::InvalidRequest),
            ),
        ];
        for (failure, now, jitter, expected) in table {
            assert_eq!(
                decide(&policy, &failure, now, jitter),
                expected,
                "{failure:?} at {now} with jitter {jitter}"
            );
        }
    }

    #[test]
    fn backoff_ceilings_double_then_stop_at_the_maximum() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<i64> = (1..=12).map(|a| backoff_delay(&policy, a, 1.0)).collect();
        assert_eq!(
            ceilings,
            [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000,
                600_000, 600_000
            ]
        );
        assert_eq!(backoff_delay(&policy, u32::MAX, 1.0), 600_000);
        assert_eq!(backoff_delay(&policy, 4, f64::NAN), 0);
    }
}
