//! Request statistics: counts by endpoint and status, and per token and per user the largest
//! number of requests seen in any 1-second and any 60-second window, for all requests and for
//! `ads_write` requests alone (the windows Pinterest's write limits apply to).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A point-in-time copy of the statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    pub total_requests: u64,
    /// Sorted by endpoint, then status.
    pub endpoints: Vec<EndpointCount>,
    /// One entry per bearer token seen, sorted by `token_id`.
    pub tokens: Vec<WindowStats>,
    /// One entry per authenticated user, all its tokens together, sorted by `user_id`.
    pub users: Vec<WindowStats>,
}

/// Requests to one endpoint (`"PATCH /v5/ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}"`)
/// answered with one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointCount {
    pub endpoint: String,
    pub status: u16,
    pub count: u64,
}

/// Request-rate statistics of one token or one user. A window of length w ending at t holds
/// the requests that arrived in (t - w, t]; every request counts, including rejected ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStats {
    /// A fingerprint of the token (`tok_` + 12 hex chars of its SHA-256), never the token;
    /// empty in `users`.
    pub token_id: String,
    /// The seeded user the token belongs to, if the token was valid when first seen.
    pub user_id: Option<String>,
    pub requests: u64,
    /// How many of them were answered 429.
    pub rate_limited: u64,
    pub max_in_1s: u64,
    pub max_in_60s: u64,
    /// `ads_write` requests (the category with the tightest limits) and their busiest 1 s and
    /// 60 s windows, the figures to hold against Pinterest's write limits.
    #[serde(default)]
    pub writes: u64,
    #[serde(default)]
    pub max_writes_in_1s: u64,
    #[serde(default)]
    pub max_writes_in_60s: u64,
}

/// The identity of the requester of one request, for the windows.
pub struct Requester<'a> {
    pub token: &'a str,
    pub user_id: Option<&'a str>,
}

/// The busiest 1 s and 60 s windows of a stream of arrivals.
#[derive(Debug, Default)]
struct Busiest {
    count: u64,
    last_1s: VecDeque<Duration>,
    last_60s: VecDeque<Duration>,
    max_in_1s: u64,
    max_in_60s: u64,
}

impl Busiest {
    fn record(&mut self, at: Duration) {
        self.count += 1;
        self.max_in_1s = self
            .max_in_1s
            .max(push(&mut self.last_1s, at, Duration::from_secs(1)));
        self.max_in_60s =
            self.max_in_60s
                .max(push(&mut self.last_60s, at, Duration::from_secs(60)));
    }
}

#[derive(Debug, Default)]
struct Windows {
    user_id: Option<String>,
    rate_limited: u64,
    all: Busiest,
    writes: Busiest,
}

impl Windows {
    fn record(&mut self, at: Duration, rate_limited: bool, write: bool) {
        self.rate_limited += u64::from(rate_limited);
        self.all.record(at);
        if write {
            self.writes.record(at);
        }
    }

    fn snapshot(&self, token_id: String) -> WindowStats {
        WindowStats {
            token_id,
            user_id: self.user_id.clone(),
            requests: self.all.count,
            rate_limited: self.rate_limited,
            max_in_1s: self.all.max_in_1s,
            max_in_60s: self.all.max_in_60s,
            writes: self.writes.count,
            max_writes_in_1s: self.writes.max_in_1s,
            max_writes_in_60s: self.writes.max_in_60s,
        }
    }
}

/// Adds `at` to a window of length `width` and returns how many requests it now holds.
/// Arrival times may be out of order by a little (concurrent requests); the window keeps them sorted.
fn push(window: &mut VecDeque<Duration>, at: Duration, width: Duration) -> u64 {
    let position = window.partition_point(|t| *t <= at);
    window.insert(position, at);
    let newest = window.back().copied().unwrap_or(at);
    while window.front().is_some_and(|t| *t + width <= newest) {
        window.pop_front();
    }
    let start = at.saturating_sub(width);
    let through_at = window.partition_point(|t| *t <= at);
    let through_start = window.partition_point(|t| *t <= start);
    (through_at - through_start) as u64
}

#[derive(Debug, Default)]
struct StatsInner {
    total: u64,
    endpoints: BTreeMap<(String, u16), u64>,
    tokens: HashMap<String, Windows>,
    users: HashMap<String, Windows>,
}

/// Collects statistics for every `/v5` request.
#[derive(Debug, Default)]
pub struct StatsRecorder {
    inner: Mutex<StatsInner>,
}

/// The fingerprint under which a token is reported.
pub fn token_fingerprint(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    format!("tok_{}", &hex::encode(digest)[..12])
}

impl StatsRecorder {
    /// Records one answered request that arrived at `arrived_at`; `write` when it is of the
    /// `ads_write` category.
    pub fn record(
        &self,
        endpoint: String,
        status: u16,
        requester: Option<Requester<'_>>,
        arrived_at: Duration,
        write: bool,
    ) {
        let fingerprint = requester.as_ref().map(|r| token_fingerprint(r.token));
        let rate_limited = status == 429;
        let mut inner = self.inner.lock();
        inner.total += 1;
        *inner.endpoints.entry((endpoint, status)).or_default() += 1;
        let (Some(requester), Some(fingerprint)) = (requester, fingerprint) else {
            return;
        };
        let token = inner.tokens.entry(fingerprint).or_default();
        if token.user_id.is_none() {
            token.user_id = requester.user_id.map(str::to_owned);
        }
        token.record(arrived_at, rate_limited, write);
        if let Some(user_id) = requester.user_id {
            let user = inner.users.entry(user_id.to_owned()).or_default();
            user.user_id = Some(user_id.to_owned());
            user.record(arrived_at, rate_limited, write);
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let inner = self.inner.lock();
        let mut tokens: Vec<WindowStats> = inner
            .tokens
            .iter()
            .map(|(id, w)| w.snapshot(id.clone()))
            .collect();
        tokens.sort_by(|a, b| a.token_id.cmp(&b.token_id));
        let mut users: Vec<WindowStats> = inner
            .users
            .values()
            .map(|w| w.snapshot(String::new()))
            .collect();
        users.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        StatsSnapshot {
            total_requests: inner.total,
            endpoints: inner
                .endpoints
                .iter()
                .map(|((endpoint, status), count)| EndpointCount {
                    endpoint: endpoint.clone(),
                    status: *status,
                    count: *count,
                })
                .collect(),
            tokens,
            users,
        }
    }

    pub fn reset(&self) {
        *self.inner.lock() = StatsInner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_window_is_found_even_when_it_does_not_start_at_a_whole_second() {
        let recorder = StatsRecorder::default();
        let ms = Duration::from_millis;
        let at = |t: u64| ms(10_000 + t);
        for t in [0, 600, 700, 900, 1_500, 1_550, 2_700] {
            let requester = Requester {
                token: "pina_x",
                user_id: Some("7"),
            };
            recorder.record("GET /v5/x".into(), 200, Some(requester), at(t), false);
        }
        let snapshot = recorder.snapshot();
        let token = &snapshot.tokens[0];
        // (0.55 s, 1.55 s] holds 600, 700, 900, 1500 and 1550.
        assert_eq!(token.max_in_1s, 5);
        assert_eq!(token.max_in_60s, 7);
        assert_eq!(snapshot.users[0].requests, 7);
        assert_eq!((token.writes, token.max_writes_in_1s), (0, 0));
    }

    #[test]
    fn writes_have_windows_of_their_own() {
        let recorder = StatsRecorder::default();
        let at = |t: u64| Duration::from_millis(10_000 + t);
        for (t, write) in [
            (0, true),
            (100, false),
            (200, true),
            (1_300, true),
            (1_350, false),
        ] {
            let requester = Requester {
                token: "pina_x",
                user_id: Some("7"),
            };
            recorder.record("X /v5/x".into(), 200, Some(requester), at(t), write);
        }
        let token = &recorder.snapshot().tokens[0];
        assert_eq!(
            (token.requests, token.max_in_1s, token.max_in_60s),
            (5, 3, 5)
        );
        // Writes at 0, 200 and 1300: (0.3 s, 1.3 s] holds 1300 alone, (-0.8 s, 0.2 s] two.
        assert_eq!(token.writes, 3);
        assert_eq!(token.max_writes_in_1s, 2);
        assert_eq!(token.max_writes_in_60s, 3);
    }
}
