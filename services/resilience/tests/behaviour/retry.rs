//! Retries: a flaky dependency is hidden from the caller, but only for calls
//! that may be repeated, only for real failures, and only within the budget.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chaoslab_resilience::{CallOptions, Dependency, Policy, backoff_cap};
use tokio::time::Instant;

use crate::support::{Counter, TestError, all_off};

fn with_retries(max_attempts: u32) -> Policy {
    let mut p = all_off();
    p.retry.enabled = true;
    p.retry.max_attempts = max_attempts;
    p.retry.base_delay_ms = 10;
    p.retry.max_delay_ms = 100;
    p.retry.budget_enabled = false;
    p
}

/// Fails with `error` for the first `failures` attempts, then answers.
async fn flaky(
    dep: &Dependency,
    opts: CallOptions,
    failures: u32,
    error: TestError,
) -> (Result<u32, String>, u32) {
    let started = Counter::default();
    let result = dep
        .call(opts, |attempt| {
            started.bump();
            let error = error.clone();
            async move {
                if attempt < failures {
                    Err(error)
                } else {
                    Ok(attempt)
                }
            }
        })
        .await
        .map_err(|e| e.to_string());
    (result, started.get())
}

#[tokio::test(start_paused = true)]
async fn a_flaky_dependency_succeeds_after_retries() {
    let dep = Dependency::new("inventory", with_retries(3));
    let (result, attempts) = flaky(&dep, CallOptions::retryable(), 2, TestError::Server).await;
    assert_eq!(result, Ok(2), "the third attempt (index 2) answered");
    assert_eq!(attempts, 3);
    let totals = dep.status().totals;
    assert_eq!((totals.success, totals.failure, totals.retries), (1, 0, 2));
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_attempts_with_the_last_error() {
    let dep = Dependency::new("inventory", with_retries(3));
    let (result, attempts) = flaky(&dep, CallOptions::retryable(), 5, TestError::Server).await;
    assert_eq!(
        result,
        Err("inventory: HTTP 503 from the dependency (after 3 attempts)".into())
    );
    assert_eq!(attempts, 3);
    assert_eq!(dep.status().totals.failure, 1, "one call, counted once");
}

#[tokio::test(start_paused = true)]
async fn non_retryable_calls_are_tried_once() {
    let dep = Dependency::new("payments", with_retries(5));
    let (result, attempts) = flaky(&dep, CallOptions::once(), 1, TestError::Server).await;
    assert!(result.is_err());
    assert_eq!(attempts, 1);
    assert_eq!(dep.status().totals.retries, 0);
}

#[tokio::test(start_paused = true)]
async fn errors_that_are_not_failures_are_returned_at_once() {
    let dep = Dependency::new("users", with_retries(5));
    let (result, attempts) = flaky(&dep, CallOptions::retryable(), 1, TestError::Client).await;
    assert_eq!(result, Err("users: HTTP 404 from the dependency".into()));
    assert_eq!(attempts, 1);
    let totals = dep.status().totals;
    assert_eq!(
        (totals.success, totals.failure),
        (1, 0),
        "a 4xx is a healthy answer"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_stop_when_the_budget_is_spent() {
    let mut p = with_retries(4);
    p.retry.budget_enabled = true;
    p.retry.budget_ratio = 0.1;
    p.retry.budget_min_per_sec = 0;
    p.retry.budget_window_ms = 60_000;
    let dep = Dependency::new("payments", p);
    let calls = 200;
    let mut attempts = 0;
    let mut refused = 0;
    for _ in 0..calls {
        let started = Counter::default();
        let err = dep
            .call(CallOptions::retryable(), |_| {
                started.bump();
                async { Err::<(), _>(TestError::Server) }
            })
            .await
            .unwrap_err();
        attempts += started.get();
        if err.retry_budget_exhausted {
            refused += 1;
            assert!(
                err.to_string().ends_with("(retry budget exhausted)"),
                "{err}"
            );
        }
    }
    // Without a budget: 4 attempts a call, 800. With 10 %: about 220.
    assert!(
        attempts <= calls + calls / 10 + 1,
        "{attempts} attempts for {calls} calls"
    );
    assert!(attempts > calls, "some retries were still allowed");
    assert!(
        refused > calls / 2,
        "the outcome says the budget refused: {refused}"
    );
    let status = dep.status();
    assert_eq!(status.retry_budget.left, 0);
    assert_eq!(u64::from(attempts - calls), status.totals.retries);
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_with_full_jitter_under_the_cap() {
    let mut p = with_retries(5);
    p.retry.base_delay_ms = 100;
    p.retry.max_delay_ms = 500;
    let dep = Dependency::new("catalog", p.clone());
    // gaps[n]: the sleeps measured before retry n, over many calls.
    let gaps: Arc<Mutex<Vec<Vec<Duration>>>> = Arc::new(Mutex::new(vec![Vec::new(); 4]));
    for _ in 0..60 {
        let last: Arc<Mutex<Option<Instant>>> = Arc::default();
        let _ = dep
            .call(CallOptions::retryable(), |attempt| {
                let now = Instant::now();
                if let Some(prev) = last.lock().unwrap().replace(now) {
                    gaps.lock().unwrap()[attempt as usize - 1].push(now - prev);
                }
                async { Err::<(), _>(TestError::Server) }
            })
            .await;
    }
    let gaps = gaps.lock().unwrap();
    let mean = |v: &Vec<Duration>| v.iter().sum::<Duration>() / v.len() as u32;
    for (n, samples) in gaps.iter().enumerate() {
        let cap = backoff_cap(&p.retry, n as u32);
        assert!(
            samples.iter().all(|d| *d <= cap),
            "retry {n} slept past its cap {cap:?}"
        );
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(distinct.len() > 20, "retry {n} delays are not jittered");
    }
    // Caps 100, 200, 400, 500 ms: full jitter averages half of each.
    assert!(
        mean(&gaps[0]) < mean(&gaps[2]),
        "{:?} vs {:?}",
        mean(&gaps[0]),
        mean(&gaps[2])
    );
    assert!(mean(&gaps[1]) < mean(&gaps[3]));
    assert!(
        gaps[3].iter().any(|d| *d > Duration::from_millis(400)),
        "the cap stops at 500 ms, not 400"
    );
}
