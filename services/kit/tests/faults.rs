//! In-service faults: validation, effect on requests, and expiry kept by the
//! service itself.

use chaoslab_kit::faults::{FaultSpec, Faults};
use std::time::Duration;

#[test]
fn bad_fault_requests_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("{", "malformed JSON"),
        (r#"{"rate": 1}"#, "missing field `kind`"),
        (r#"{"kind": "flood"}"#, "unknown variant"),
        (
            r#"{"kind": "error_rate", "rate": 2}"#,
            "rate must be between 0 and 1",
        ),
        (
            r#"{"kind": "error_rate", "rate": 0.5, "status": 200}"#,
            "status must be from 400 to 599",
        ),
        (
            r#"{"kind": "latency", "latency_ms": 10, "duration_ms": 0}"#,
            "duration_ms",
        ),
        (r#"{"kind": "latency", "latency_ms": -5}"#, "latency_ms"),
        (r#"{"kind": "cpu_burn", "threads": 0}"#, "threads"),
        (
            r#"{"kind": "latency", "latency_ms": 5, "bogus": 1}"#,
            "unknown field",
        ),
    ];
    for (body, want) in cases {
        let err = FaultSpec::parse(body.as_bytes()).unwrap_err().to_string();
        assert!(
            err.contains(want),
            "{body}: {err:?} should mention {want:?}"
        );
    }
    let (spec, duration) = FaultSpec::parse(
        br#"{"kind": "error_rate", "rate": 0.25, "route": "/api", "duration_ms": 1500}"#,
    )
    .unwrap();
    assert_eq!(duration, Duration::from_millis(1500));
    assert_eq!(
        spec,
        FaultSpec::ErrorRate {
            route: Some("/api".into()),
            rate: 0.25,
            status: 500
        }
    );
}

#[tokio::test]
async fn faults_act_on_matching_routes_and_expire_by_themselves() {
    let faults = Faults::new("svc");
    let (spec, _) = FaultSpec::parse(
        br#"{"kind": "error_rate", "rate": 1.0, "status": 503, "route": "/api/checkout"}"#,
    )
    .unwrap();
    let view = faults.add(spec, Duration::from_millis(300));
    assert_eq!(view.target, "svc");
    assert!(view.remaining_ms <= 300);

    let hit = faults
        .before_request("/api/checkout")
        .await
        .expect("error injected");
    assert_eq!(hit.status(), 503);
    assert!(
        faults.before_request("/api/products").await.is_none(),
        "other routes untouched"
    );

    // No one removes it: it ends on its own.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !faults.list().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "fault did not expire"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(faults.before_request("/api/checkout").await.is_none());
}

#[tokio::test]
async fn latency_and_removal() {
    let faults = Faults::new("svc");
    let (spec, _) = FaultSpec::parse(br#"{"kind": "latency", "latency_ms": 150}"#).unwrap();
    let view = faults.add(spec, Duration::from_secs(60));
    let started = std::time::Instant::now();
    assert!(faults.before_request("/x").await.is_none());
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(faults.remove(&view.id));
    assert!(
        !faults.remove(&view.id),
        "removing twice reports nothing to remove"
    );
    let started = std::time::Instant::now();
    faults.before_request("/x").await;
    assert!(started.elapsed() < Duration::from_millis(100));
}

#[tokio::test]
async fn pool_shrink_lets_one_call_through_at_a_time() {
    let faults = Faults::new("svc");
    let (spec, _) =
        FaultSpec::parse(br#"{"kind": "pool_shrink", "dependency": "payments"}"#).unwrap();
    faults.add(spec, Duration::from_secs(60));
    let first = faults.pool_permit("payments").await.expect("a permit");
    let second =
        tokio::time::timeout(Duration::from_millis(100), faults.pool_permit("payments")).await;
    assert!(
        second.is_err(),
        "the second call waits for the one connection"
    );
    drop(first);
    assert!(faults.pool_permit("payments").await.is_some());
    assert!(
        faults.pool_permit("users").await.is_none(),
        "other dependencies are not limited"
    );
}
