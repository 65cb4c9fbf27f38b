//! How long to wait before a retry, and whether a retry is affordable.
//!
//! Backoff uses *full jitter*: before retry `n` (0-based) the call sleeps a
//! random time in `[0, min(max_delay, base * 2^n)]`, which spreads retries of
//! many callers apart instead of having them return in waves.
//!
//! The retry budget follows Finagle and linkerd: over a sliding window
//! (`budget_window_ms`, kept as ten buckets) it counts calls and retries, and
//! a retry is allowed only while
//! `retries + 1 <= budget_ratio * calls + budget_min_per_sec * window_seconds`.
//! So when a dependency fails hard, retries add at most `budget_ratio` extra
//! load instead of multiplying it by `max_attempts`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::policy::RetryPolicy;
use crate::sync::lock;

/// The upper bound of the sleep before retry `retry` (0-based).
pub fn backoff_cap(policy: &RetryPolicy, retry: u32) -> Duration {
    let factor = 1u64.checked_shl(retry.min(63)).unwrap_or(u64::MAX);
    let ms = policy
        .base_delay_ms
        .saturating_mul(factor)
        .min(policy.max_delay_ms);
    Duration::from_millis(ms)
}

/// A full-jitter sleep before retry `retry`: uniform in `[0, backoff_cap]`.
pub fn backoff_delay(policy: &RetryPolicy, retry: u32) -> Duration {
    let cap = backoff_cap(policy, retry).as_micros() as u64;
    Duration::from_micros(rand::random_range(0..=cap))
}

/// What the status API shows of a retry budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetStatus {
    /// Retries that would be allowed right now.
    pub left: u64,
    /// Calls counted in the window.
    pub calls: u64,
    /// Retries made in the window.
    pub retries: u64,
    /// Retries refused by the budget since start.
    pub denied_total: u64,
}

#[derive(Debug)]
struct Bucket {
    start: Instant,
    calls: u64,
    retries: u64,
}

#[derive(Debug, Default)]
struct Ledger {
    buckets: VecDeque<Bucket>,
    denied_total: u64,
}

impl Ledger {
    /// Drops buckets that slid out of the window and returns the current one.
    fn current(&mut self, window: Duration, now: Instant) -> &mut Bucket {
        while let Some(front) = self.buckets.front() {
            if now.saturating_duration_since(front.start) >= window {
                self.buckets.pop_front();
            } else {
                break;
            }
        }
        let bucket_len = window / 10;
        let fresh = match self.buckets.back() {
            Some(back) => now.saturating_duration_since(back.start) >= bucket_len,
            None => true,
        };
        if fresh {
            self.buckets.push_back(Bucket {
                start: now,
                calls: 0,
                retries: 0,
            });
        }
        self.buckets.back_mut().expect("a bucket was just ensured")
    }

    fn totals(&self) -> (u64, u64) {
        self.buckets
            .iter()
            .fold((0, 0), |(c, r), b| (c + b.calls, r + b.retries))
    }

    fn left(&self, policy: &RetryPolicy) -> u64 {
        let (calls, retries) = self.totals();
        let window_secs = policy.budget_window_ms as f64 / 1000.0;
        let allowance =
            policy.budget_ratio * calls as f64 + f64::from(policy.budget_min_per_sec) * window_secs;
        (allowance - retries as f64).max(0.0).floor() as u64
    }
}

/// A retry budget shared by every call to one dependency.
#[derive(Debug, Default)]
pub(crate) struct RetryBudget {
    ledger: Mutex<Ledger>,
}

impl RetryBudget {
    /// Counts one call (not a retry) towards the allowance.
    pub(crate) fn deposit(&self, policy: &RetryPolicy) {
        let window = Duration::from_millis(policy.budget_window_ms);
        lock(&self.ledger).current(window, Instant::now()).calls += 1;
    }

    /// Takes one retry from the budget; `false` when it is spent. With the
    /// budget disabled the retry is always allowed (and still counted).
    pub(crate) fn try_withdraw(&self, policy: &RetryPolicy) -> bool {
        let window = Duration::from_millis(policy.budget_window_ms);
        let mut ledger = lock(&self.ledger);
        ledger.current(window, Instant::now());
        if policy.budget_enabled && ledger.left(policy) == 0 {
            ledger.denied_total += 1;
            return false;
        }
        ledger.current(window, Instant::now()).retries += 1;
        true
    }

    /// Forgets the window (after its length changed).
    pub(crate) fn reset_window(&self) {
        lock(&self.ledger).buckets.clear();
    }

    pub(crate) fn status(&self, policy: &RetryPolicy) -> BudgetStatus {
        let window = Duration::from_millis(policy.budget_window_ms);
        let mut ledger = lock(&self.ledger);
        ledger.current(window, Instant::now());
        let (calls, retries) = ledger.totals();
        BudgetStatus {
            left: ledger.left(policy),
            calls,
            retries,
            denied_total: ledger.denied_total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_double_then_stop_at_max_delay() {
        let p = RetryPolicy {
            base_delay_ms: 10,
            max_delay_ms: 75,
            ..RetryPolicy::default()
        };
        let caps: Vec<u128> = (0..6).map(|n| backoff_cap(&p, n).as_millis()).collect();
        assert_eq!(caps, vec![10, 20, 40, 75, 75, 75]);
        assert_eq!(backoff_cap(&p, u32::MAX), Duration::from_millis(75));
    }

    #[test]
    fn delays_are_jittered_within_the_cap() {
        let p = RetryPolicy {
            base_delay_ms: 100,
            max_delay_ms: 1_000,
            ..RetryPolicy::default()
        };
        for retry in 0..5 {
            let cap = backoff_cap(&p, retry);
            let samples: Vec<Duration> = (0..200).map(|_| backoff_delay(&p, retry)).collect();
            assert!(
                samples.iter().all(|d| *d <= cap),
                "a delay exceeded its cap {cap:?}"
            );
            let distinct: std::collections::HashSet<_> = samples.iter().collect();
            assert!(distinct.len() > 50, "delays are not jittered: {distinct:?}");
            // Full jitter spreads over the whole range, not just its top.
            assert!(
                samples.iter().any(|d| *d < cap / 4),
                "no short delay for retry {retry}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn budget_allows_ratio_of_calls_plus_reserve_then_refills() {
        let p = RetryPolicy {
            budget_ratio: 0.1,
            budget_min_per_sec: 1,
            budget_window_ms: 2_000,
            ..RetryPolicy::default()
        };
        let budget = RetryBudget::default();
        for _ in 0..50 {
            budget.deposit(&p);
        }
        // 0.1 * 50 + 1/s * 2 s = 7 retries.
        let granted = (0..20).filter(|_| budget.try_withdraw(&p)).count();
        assert_eq!(granted, 7);
        assert_eq!(budget.status(&p).denied_total, 13);
        assert_eq!(budget.status(&p).left, 0);

        tokio::time::advance(Duration::from_millis(2_100)).await;
        assert_eq!(
            budget.status(&p).left,
            2,
            "old calls and retries slid out of the window"
        );
    }
}
