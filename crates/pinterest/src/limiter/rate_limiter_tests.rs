//! Rate-limiter behaviour under paused tokio time: window bounds, throughput, FIFO, pauses.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::*;

/// The largest number of starts in any closed interval `[t, t + window]`.
fn max_in_any_window(starts: &[Instant], window: Duration) -> usize {
    let mut sorted = starts.to_vec();
    sorted.sort();
    let mut most = 0;
    let mut end = 0;
    for (begin, first) in sorted.iter().enumerate() {
        while end < sorted.len() && sorted[end] - *first <= window {
            end += 1;
        }
        most = most.max(end - begin);
    }
    most
}

fn limiter(config: RateLimitConfig) -> Arc<RateLimiter> {
    Arc::new(RateLimiter::new(&config).unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_1000_writes_never_exceeds_7_per_second_or_400_per_minute() {
    let limiter = limiter(RateLimitConfig::default());
    let mut tasks = Vec::new();
    for _ in 0..1_000 {
        let limiter = Arc::clone(&limiter);
        tasks.push(tokio::spawn(async move {
            limiter.acquire(RateCategory::AdsWrite).await;
            Instant::now()
        }));
    }
    let mut starts = Vec::new();
    for task in tasks {
        starts.push(task.await.unwrap());
    }

    assert_eq!(starts.len(), 1_000);
    assert_eq!(max_in_any_window(&starts, Duration::from_secs(1)), 7);
    assert_eq!(max_in_any_window(&starts, Duration::from_secs(60)), 400);
}

#[tokio::test(start_paused = true)]
async fn a_long_run_of_writes_reaches_at_least_97_percent_of_the_limit() {
    let limiter = limiter(RateLimitConfig::default());
    let begin = Instant::now();
    let requests = 4_000_u32;
    for _ in 0..requests {
        limiter.acquire(RateCategory::AdsWrite).await;
    }
    let elapsed = begin.elapsed().as_secs_f64();

    let achieved_per_minute = f64::from(requests) / elapsed * 60.0;
    assert!(
        achieved_per_minute >= 0.97 * 400.0,
        "achieved {achieved_per_minute:.1} per minute over {elapsed:.1} s"
    );
    assert!(achieved_per_minute <= 400.0, "{achieved_per_minute}");
    println!(
        "{requests} writes in {elapsed:.2} s of paused time: {achieved_per_minute:.2} per minute"
    );
}

#[tokio::test(start_paused = true)]
async fn waiters_of_one_category_are_served_in_arrival_order() {
    let limiter = limiter(RateLimitConfig {
        ads_write: vec![WindowLimit::per_second(1)],
        ..RateLimitConfig::default()
    });
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for position in 0..20 {
        let limiter = Arc::clone(&limiter);
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire(RateCategory::AdsWrite).await;
            sender.send(position).unwrap();
        }));
        // Let this task reach the queue before the next one is spawned.
        tokio::task::yield_now().await;
    }
    drop(sender);
    for task in tasks {
        task.await.unwrap();
    }
    let mut order = Vec::new();
    while let Some(position) = receiver.recv().await {
        order.push(position);
    }
    assert_eq!(order, (0..20).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn a_pause_holds_every_category_until_it_ends() {
    let limiter = limiter(RateLimitConfig::default());
    let begin = Instant::now();
    limiter.pause_until(begin + Duration::from_secs(30));
    limiter.pause_until(begin + Duration::from_secs(10));

    assert_eq!(
        limiter.paused_until(),
        Some(begin + Duration::from_secs(30))
    );
    assert_eq!(
        limiter.current_wait(RateCategory::AdsRead),
        Duration::from_secs(30)
    );
    let waited = limiter.acquire(RateCategory::AdsRead).await;

    assert_eq!(waited, Duration::from_secs(30));
    assert_eq!(Instant::now(), begin + Duration::from_secs(30));
    assert_eq!(limiter.paused_until(), None);
}

#[tokio::test(start_paused = true)]
async fn a_saturated_write_category_does_not_hold_back_reads() {
    let limiter = limiter(RateLimitConfig::default());
    for _ in 0..7 {
        limiter.acquire(RateCategory::AdsWrite).await;
    }
    assert!(limiter.current_wait(RateCategory::AdsWrite) > Duration::ZERO);
    let blocked_write = {
        let limiter = Arc::clone(&limiter);
        tokio::spawn(async move { limiter.acquire(RateCategory::AdsWrite).await })
    };
    tokio::task::yield_now().await;

    let read_wait = limiter.acquire(RateCategory::AdsRead).await;

    assert_eq!(read_wait, Duration::ZERO);
    assert_eq!(limiter.waiters(RateCategory::AdsWrite), 1);
    assert_eq!(
        blocked_write.await.unwrap(),
        Duration::from_millis(1_050),
        "the 8th write waits one window plus the safety margin"
    );
    assert_eq!(limiter.waiters(RateCategory::AdsWrite), 0);
}

#[tokio::test(start_paused = true)]
async fn the_all_requests_window_counts_every_category() {
    let limiter = limiter(RateLimitConfig {
        all_requests: vec![WindowLimit::per_second(3)],
        ..RateLimitConfig::default()
    });
    limiter.acquire(RateCategory::AdsRead).await;
    limiter.acquire(RateCategory::OrgRead).await;
    limiter.acquire(RateCategory::AdsWrite).await;

    assert_eq!(
        limiter.current_wait(RateCategory::OrgWrite),
        Duration::from_millis(1_050)
    );
    let usage = limiter.usage();
    let all = usage
        .windows
        .iter()
        .find(|w| w.scope == LimitScope::AllRequests)
        .unwrap();
    assert_eq!(all.used, 3);
    let writes_per_second = usage
        .windows
        .iter()
        .find(|w| {
            w.scope == LimitScope::Category(RateCategory::AdsWrite)
                && w.limit == WindowLimit::per_second(7)
        })
        .unwrap();
    assert_eq!(writes_per_second.used, 1);
}

#[tokio::test(start_paused = true)]
async fn usage_forgets_starts_older_than_the_window() {
    let limiter = limiter(RateLimitConfig::default());
    limiter.acquire(RateCategory::AdsWrite).await;
    tokio::time::advance(Duration::from_secs(2)).await;

    let per_second = limiter
        .usage()
        .windows
        .into_iter()
        .filter(|w| w.scope == LimitScope::Category(RateCategory::AdsWrite))
        .map(|w| (w.limit, w.used))
        .collect::<Vec<_>>();
    assert_eq!(
        per_second,
        [
            (WindowLimit::per_second(7), 0),
            (WindowLimit::per_minute(400), 1)
        ]
    );
}
