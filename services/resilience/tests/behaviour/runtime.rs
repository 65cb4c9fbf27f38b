//! Switching mechanisms off and on while running: the next call obeys.

use chaoslab_testkit::eventually;
use std::time::Duration;

use chaoslab_resilience::{BreakerState, CallErrorKind, CallOptions, Dependency, PolicyPatch};
use tokio::time::sleep;

use crate::support::{Counter, TestError, all_off};

fn patch(json: &str) -> PolicyPatch {
    serde_json::from_str(json).expect("a valid patch")
}

#[tokio::test(start_paused = true)]
async fn disabling_the_timeout_lets_slow_calls_finish() {
    let mut p = all_off();
    p.timeout.enabled = true;
    p.timeout.per_attempt_ms = 50;
    let dep = Dependency::new("catalog", p);
    let slow = |_| async {
        sleep(Duration::from_millis(200)).await;
        Ok::<_, TestError>("answer")
    };
    assert!(
        dep.call(CallOptions::once(), slow)
            .await
            .unwrap_err()
            .is_timeout()
    );
    dep.update(&patch(r#"{"timeout": {"enabled": false}}"#))
        .unwrap();
    assert_eq!(dep.call(CallOptions::once(), slow).await.unwrap(), "answer");
}

#[tokio::test(start_paused = true)]
async fn disabling_retries_exposes_the_flakiness() {
    let mut p = all_off();
    p.retry.enabled = true;
    p.retry.budget_enabled = false;
    let dep = Dependency::new("inventory", p);
    let first_fails = |attempt: u32| async move {
        if attempt == 0 {
            Err(TestError::Server)
        } else {
            Ok(())
        }
    };
    dep.call(CallOptions::retryable(), first_fails)
        .await
        .unwrap();
    dep.update(&patch(r#"{"retry": {"enabled": false}}"#))
        .unwrap();
    let err = dep
        .call(CallOptions::retryable(), first_fails)
        .await
        .unwrap_err();
    assert_eq!(err.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn disabling_the_breaker_closes_it_and_lets_calls_through() {
    let mut p = all_off();
    p.breaker.enabled = true;
    p.breaker.min_calls = 2;
    let dep = Dependency::new("payments", p.clone());
    for _ in 0..2 {
        let _ = dep
            .call(CallOptions::once(), |_| async {
                Err::<(), _>(TestError::Server)
            })
            .await;
    }
    assert_eq!(dep.breaker_state(), BreakerState::Open);
    p.breaker.enabled = false;
    dep.set_policy(p).unwrap();
    assert_eq!(dep.breaker_state(), BreakerState::Closed);
    dep.call(CallOptions::once(), |_| async { Ok::<_, TestError>(()) })
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn resizing_and_disabling_the_bulkhead_apply_to_the_next_call() {
    let mut p = all_off();
    p.bulkhead.enabled = true;
    p.bulkhead.max_concurrent = 1;
    let dep = Dependency::new("users", p);
    let dep2 = dep.clone();
    let holder = tokio::spawn(async move {
        dep2.call(CallOptions::once(), |_| {
            std::future::pending::<Result<(), TestError>>()
        })
        .await
    });
    eventually("a call in flight", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 1)
    })
    .await;
    let ok = |_| async { Ok::<_, TestError>(()) };
    assert!(matches!(
        dep.call(CallOptions::once(), ok).await.unwrap_err().kind,
        CallErrorKind::BulkheadFull
    ));
    dep.update(&patch(r#"{"bulkhead": {"max_concurrent": 2}}"#))
        .unwrap();
    dep.call(CallOptions::once(), ok)
        .await
        .expect("room for a second call");
    dep.update(&patch(
        r#"{"bulkhead": {"max_concurrent": 1, "enabled": false}}"#,
    ))
    .unwrap();
    dep.call(CallOptions::once(), ok)
        .await
        .expect("no cap at all");
    holder.abort();
}

#[tokio::test(start_paused = true)]
async fn disabling_the_retry_budget_allows_every_retry() {
    let mut p = all_off();
    p.retry.enabled = true;
    p.retry.max_attempts = 3;
    p.retry.budget_ratio = 0.0;
    p.retry.budget_min_per_sec = 0;
    let dep = Dependency::new("payments", p);
    let started = Counter::default();
    let failing = |_| {
        started.bump();
        async { Err::<(), _>(TestError::Server) }
    };
    let err = dep
        .call(CallOptions::retryable(), failing)
        .await
        .unwrap_err();
    assert!(err.retry_budget_exhausted);
    assert_eq!(started.get(), 1);
    dep.update(&patch(r#"{"retry": {"budget_enabled": false}}"#))
        .unwrap();
    let err = dep
        .call(CallOptions::retryable(), failing)
        .await
        .unwrap_err();
    assert!(!err.retry_budget_exhausted);
    assert_eq!(started.get(), 4);
}

#[tokio::test]
async fn fallback_switch_and_count() {
    let dep = Dependency::new("inventory", all_off());
    assert!(dep.fallback_enabled());
    dep.record_fallback();
    assert_eq!(dep.status().totals.fallback, 1);
    dep.update(&patch(r#"{"fallback": {"enabled": false}}"#))
        .unwrap();
    assert!(!dep.fallback_enabled());
}
