//! A fault ends when its duration ends or when it is removed, and the
//! requests it holds go on then: an HTTP delay never outlives its fault.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_request_goes_on_when_its_fault_expires() {
    let agent = agent();
    let base = http_proxy(&agent, "expiring").await;
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/proxies/expiring/faults",
        &json!({"type": "delay", "delay": {"distribution": "fixed", "ms": 600000}, "duration_ms": 700})
            .to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let started = Instant::now();
    let resp = reqwest::Client::new()
        .get(format!("{base}/api/held"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("the request is released when the fault expires, not after 600 s");
    assert_eq!(resp.status(), 200, "the request reached the upstream");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(600), "it was held: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_request_goes_on_when_its_fault_is_removed() {
    let agent = agent();
    let base = http_proxy(&agent, "removed").await;
    let (s, fault) = call(
        &agent,
        "POST",
        "/chaos/proxies/removed/faults",
        &json!({"type": "delay", "delay": {"distribution": "fixed", "ms": 600000}}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{fault}");
    let request = tokio::spawn(
        reqwest::Client::new()
            .get(format!("{base}/api/held"))
            .timeout(Duration::from_secs(20))
            .send(),
    );
    // Held once the fault has acted on it.
    eventually(
        "the request is held by the delay",
        Duration::from_secs(5),
        || async {
            metric(&agent, "chaos_injections_total", &["removed", "http_delay"]).await >= 1.0
        },
    )
    .await;
    assert!(!request.is_finished(), "the request is still held");
    let id = fault["id"].as_str().unwrap();
    let (s, _) = call(&agent, "DELETE", &format!("/chaos/faults/{id}"), "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let resp = request
        .await
        .unwrap()
        .expect("released when the fault was removed");
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_delays_are_refused_and_not_added() {
    let agent = agent();
    http_proxy(&agent, "absurd").await;
    for delay in [
        json!({"distribution": "fixed", "ms": 1e30}),
        json!({"distribution": "uniform", "min_ms": 0, "max_ms": 1e300}),
        json!({"distribution": "pareto", "scale_ms": 10, "shape": 1e-300}),
    ] {
        let (s, v) = call(
            &agent,
            "POST",
            "/chaos/proxies/absurd/faults",
            &json!({"type": "delay", "delay": delay, "duration_ms": 2000}).to_string(),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{delay}: {v}");
        assert!(v["error"].as_str().unwrap().contains("delay."), "{v}");
    }
    let (_, faults) = call(&agent, "GET", "/chaos/faults", "").await;
    assert_eq!(faults, json!([]));
}
