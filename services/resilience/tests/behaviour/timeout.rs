//! Timeouts: a slow dependency costs the caller the configured time, not
//! the dependency's; the caller's deadline shortens it further.

use std::time::Duration;

use chaoslab_resilience::{CallErrorKind, CallOptions, Dependency};
use tokio::time::{Instant, sleep};

use crate::support::{TestError, all_off};

fn with_timeout(ms: u64) -> chaoslab_resilience::Policy {
    let mut p = all_off();
    p.timeout.enabled = true;
    p.timeout.per_attempt_ms = ms;
    p
}

async fn slow(_attempt: u32) -> Result<&'static str, TestError> {
    sleep(Duration::from_secs(10)).await;
    Ok("too late")
}

#[tokio::test(start_paused = true)]
async fn slow_call_times_out_at_the_configured_time() {
    let dep = Dependency::new("catalog", with_timeout(250));
    let start = Instant::now();
    let err = dep.call(CallOptions::once(), slow).await.unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::Timeout), "{err}");
    assert_eq!(start.elapsed(), Duration::from_millis(250));
    assert_eq!(err.to_string(), "catalog: timed out");
    assert_eq!(dep.status().totals.timeout, 1);
}

#[tokio::test(start_paused = true)]
async fn fast_call_is_not_affected() {
    let dep = Dependency::new("catalog", with_timeout(250));
    let got = dep
        .call(CallOptions::once(), |_| async {
            sleep(Duration::from_millis(200)).await;
            Ok::<_, TestError>(7)
        })
        .await
        .unwrap();
    assert_eq!(got, 7);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_shorter_than_the_timeout_wins() {
    let dep = Dependency::new("payments", with_timeout(1_000));
    let start = Instant::now();
    let opts = CallOptions::once().with_deadline(start + Duration::from_millis(80));
    let err = dep.call(opts, slow).await.unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_millis(80));
    // The dependency was not slow by its own policy: the breaker is not told.
    assert_eq!(dep.status().breaker.window_calls, 0);
}

#[tokio::test(start_paused = true)]
async fn a_passed_deadline_means_no_attempt_at_all() {
    let dep = Dependency::new("payments", with_timeout(1_000));
    let opts = CallOptions::once().with_deadline(Instant::now());
    let attempts = crate::support::Counter::default();
    let err = dep
        .call(opts, |_| {
            attempts.bump();
            async { Ok::<_, TestError>(()) }
        })
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(attempts.get(), 0);
    assert_eq!(
        err.to_string(),
        "payments: deadline passed before the call could start"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_deadline() {
    let mut p = with_timeout(100);
    p.retry.enabled = true;
    p.retry.max_attempts = 10;
    p.retry.base_delay_ms = 1;
    p.retry.max_delay_ms = 1;
    p.retry.budget_enabled = false;
    let dep = Dependency::new("inventory", p);
    let start = Instant::now();
    let opts = CallOptions::retryable().with_deadline(start + Duration::from_millis(250));
    let err = dep.call(opts, slow).await.unwrap_err();
    assert!(err.is_timeout());
    assert!(
        start.elapsed() <= Duration::from_millis(250),
        "ran past the deadline"
    );
    assert_eq!(
        err.attempts, 3,
        "two full attempts and one cut short by the deadline"
    );
}

#[tokio::test]
async fn real_clock_timeout_fires_near_the_configured_time() {
    let dep = Dependency::new("users", with_timeout(60));
    let start = std::time::Instant::now();
    let err = dep.call(CallOptions::once(), slow).await.unwrap_err();
    let took = start.elapsed();
    assert!(err.is_timeout());
    assert!(took >= Duration::from_millis(60), "fired early: {took:?}");
    assert!(took < Duration::from_secs(2), "fired late: {took:?}");
}
