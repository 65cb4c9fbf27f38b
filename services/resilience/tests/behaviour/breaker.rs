//! The circuit breaker: after enough failures the caller stops waiting on a
//! broken dependency, then probes it with a few trial calls.

use chaoslab_testkit::eventually;
use std::sync::Arc;
use std::time::Duration;

use chaoslab_resilience::{BreakerState, CallErrorKind, CallOptions, Dependency, Policy};
use tokio::sync::Notify;

use crate::support::{Counter, TestError, all_off};

fn with_breaker() -> Policy {
    let mut p = all_off();
    p.breaker.enabled = true;
    p.breaker.window_size = 10;
    p.breaker.min_calls = 5;
    p.breaker.failure_rate_threshold = 0.5;
    p.breaker.open_ms = 1_000;
    p.breaker.half_open_trials = 2;
    p
}

async fn answer(dep: &Dependency, ok: bool) -> Result<(), CallErrorKind<TestError>> {
    dep.call(CallOptions::once(), |_| async move {
        if ok { Ok(()) } else { Err(TestError::Server) }
    })
    .await
    .map_err(|e| e.kind)
}

async fn open_it(dep: &Dependency) {
    for _ in 0..5 {
        let _ = answer(dep, false).await;
    }
    assert_eq!(dep.breaker_state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn opens_when_the_failure_rate_reaches_the_threshold() {
    let dep = Dependency::new("payments", with_breaker());
    for _ in 0..6 {
        answer(&dep, true).await.unwrap();
    }
    // Window of 10: 6 ok + 4 failed is 40 %; the 11th call pushes out an ok: 50 %.
    for n in 1..=4 {
        let _ = answer(&dep, false).await;
        assert_eq!(
            dep.breaker_state(),
            BreakerState::Closed,
            "after {n} failures"
        );
    }
    assert_eq!(dep.status().breaker.failure_rate, 0.4);
    let _ = answer(&dep, false).await;
    assert_eq!(dep.breaker_state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn needs_min_calls_before_opening() {
    let dep = Dependency::new("payments", with_breaker());
    for _ in 0..4 {
        let _ = answer(&dep, false).await;
    }
    assert_eq!(
        dep.breaker_state(),
        BreakerState::Closed,
        "4 of 4 failed, but min_calls is 5"
    );
}

#[tokio::test(start_paused = true)]
async fn rejects_fast_while_open_without_calling() {
    let dep = Dependency::new("payments", with_breaker());
    open_it(&dep).await;
    let started = Counter::default();
    let slow_dependency = |_| {
        started.bump();
        async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, TestError>(())
        }
    };
    let before = tokio::time::Instant::now();
    let err = dep
        .call(CallOptions::once(), slow_dependency)
        .await
        .unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::CircuitOpen));
    assert_eq!(err.to_string(), "payments: circuit open");
    assert_eq!(started.get(), 0);
    assert_eq!(before.elapsed(), Duration::ZERO);
    assert_eq!(dep.status().totals.rejected_circuit_open, 1);
}

#[tokio::test(start_paused = true)]
async fn half_opens_after_the_cool_down_and_closes_after_good_trials() {
    let dep = Dependency::new("payments", with_breaker());
    open_it(&dep).await;
    assert_eq!(dep.status().breaker.half_open_in_ms, Some(1_000));
    tokio::time::advance(Duration::from_millis(999)).await;
    assert!(matches!(
        answer(&dep, true).await,
        Err(CallErrorKind::CircuitOpen)
    ));
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(dep.status().breaker.state, BreakerState::HalfOpen);

    // Only two trials at a time: a third concurrent call is refused.
    let gate = Arc::new(Notify::new());
    let trial = |dep: Arc<Dependency>, gate: Arc<Notify>| async move {
        dep.call(CallOptions::once(), |_| {
            let gate = gate.clone();
            async move {
                gate.notified().await;
                Ok::<_, TestError>(())
            }
        })
        .await
    };
    let t1 = tokio::spawn(trial(dep.clone(), gate.clone()));
    let t2 = tokio::spawn(trial(dep.clone(), gate.clone()));
    eventually("two trials in flight", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 2)
    })
    .await;
    assert!(matches!(
        answer(&dep, true).await,
        Err(CallErrorKind::CircuitOpen)
    ));
    gate.notify_waiters();
    t1.await.unwrap().unwrap();
    t2.await.unwrap().unwrap();
    assert_eq!(dep.breaker_state(), BreakerState::Closed);
    answer(&dep, true).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_failed_trial_reopens_for_a_new_cool_down() {
    let dep = Dependency::new("payments", with_breaker());
    open_it(&dep).await;
    tokio::time::advance(Duration::from_millis(1_000)).await;
    answer(&dep, true).await.unwrap();
    assert_eq!(
        dep.breaker_state(),
        BreakerState::HalfOpen,
        "one good trial of two"
    );
    let _ = answer(&dep, false).await;
    let status = dep.status();
    assert_eq!(status.breaker.state, BreakerState::Open);
    assert_eq!(status.breaker.half_open_in_ms, Some(1_000));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_trial_gives_its_slot_back() {
    let mut p = with_breaker();
    p.breaker.half_open_trials = 1;
    let dep = Dependency::new("payments", p);
    open_it(&dep).await;
    tokio::time::advance(Duration::from_millis(1_000)).await;
    let hanging = dep.call(CallOptions::once(), |_| {
        std::future::pending::<Result<(), TestError>>()
    });
    let cancelled = tokio::time::timeout(Duration::from_millis(10), hanging).await;
    assert!(cancelled.is_err(), "the caller gave up on the trial");
    answer(&dep, true).await.expect("the trial slot was freed");
    assert_eq!(dep.breaker_state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn status_serializes_states_in_snake_case() {
    let dep = Dependency::new("payments", with_breaker());
    open_it(&dep).await;
    tokio::time::advance(Duration::from_millis(1_000)).await;
    let json = serde_json::to_value(dep.status()).unwrap();
    assert_eq!(json["breaker"]["state"], "half_open");
    assert_eq!(json["name"], "payments");
}
