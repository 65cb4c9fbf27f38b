//! The shop with its services in other languages, on a real lab: the
//! product page crosses three OpenTelemetry SDKs (Rust, Python, Node.js) in
//! one trace through the agent's proxies; every fault kind reaches
//! recommendations and shipping; and without python3 and node the shop
//! still runs, without them. Without the environments (`.ci/envs.sh`) the
//! tests that need them print SKIPPED (and fail under `CI=true`).

mod support;

use serde_json::{Value, json};
use std::{collections::BTreeSet, time::Duration};
use support::{
    Lab, eventually, otlp,
    polyglot::{Polyglot, skip},
};

/// Whether both environments are there; says SKIPPED when not.
fn environments(test: &str) -> bool {
    for p in [Polyglot::Recommendations, Polyglot::Shipping] {
        if let Err(why) = p.argv() {
            skip(test, &why);
            return false;
        }
    }
    true
}

async fn page(lab: &Lab, id: u64) -> Value {
    let (status, page) = lab
        .get_json(&format!("{}/api/products/{id}", lab.gateway()))
        .await;
    assert_eq!(status, 200, "{page}");
    page
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_page_trace_crosses_three_sdks_through_the_proxies() {
    if !environments("product page trace") {
        return;
    }
    let (receiver, lab) = otlp::lab().await;
    // A small delay on the recommendations proxy: the fault is in the trace.
    let (status, fault) = lab.post_agent("/chaos/proxies/recommendations/faults",
        json!({"type": "delay", "delay": {"distribution": "fixed", "ms": 20}, "match": {"path": "/recommendations"}, "duration_ms": 30000}),
    )
    .await;
    assert_eq!(status, 201, "{fault}");
    let p = page(&lab, 7).await;
    assert!(
        p["recommendations"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{p}"
    );
    assert!(p["delivery"]["eta_days"].is_object(), "{p}");

    let (languages, proxies, faulted) = eventually(
        "the page's trace with spans of three SDKs",
        Duration::from_secs(20),
        || async {
            let spans = receiver.spans.lock().unwrap().clone();
            let root = spans
                .iter()
                .find(|s| s.service == "gateway" && s.name == "GET /api/products/{id}")?;
            let trace: Vec<_> = spans
                .iter()
                .filter(|s| s.trace_id == root.trace_id)
                .collect();
            let languages: BTreeSet<String> = trace
                .iter()
                .filter_map(|s| s.resource.get("telemetry.sdk.language").cloned())
                .collect();
            let services: BTreeSet<&str> = trace.iter().map(|s| s.service.as_str()).collect();
            let proxies: BTreeSet<String> = trace
                .iter()
                .filter(|s| s.service == "agent")
                .map(|s| s.name.clone())
                .collect();
            let faulted: Vec<String> = trace
                .iter()
                .filter(|s| s.events.iter().any(|e| e == "chaos.fault"))
                .map(|s| format!("{}: {}", s.service, s.name))
                .collect();
            let whole = ["gateway", "catalog", "recommendations", "shipping", "agent"]
                .iter()
                .all(|s| services.contains(s));
            (whole && languages.len() >= 3).then_some((languages, proxies, faulted))
        },
    )
    .await;
    assert_eq!(
        languages,
        BTreeSet::from(["nodejs".into(), "python".into(), "rust".into()]),
        "telemetry.sdk.language of the page's spans"
    );
    for proxy in ["recommendations", "shipping", "catalog"] {
        assert!(
            proxies.iter().any(|n| n.contains(proxy)),
            "the call to {proxy} went through its proxy: {proxies:?}"
        );
    }
    assert!(
        faulted
            .iter()
            .any(|s| s.starts_with("agent") && s.contains("recommendations")),
        "the proxy's span of the delayed call carries the fault event: {faulted:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_kind_reaches_recommendations_and_shipping() {
    if !environments("faults on the new services") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let quote_source = |body: &Value| body["shipping"]["source"].as_str().map(str::to_owned);
    let (status, order) = lab
        .checkout(&token, None, json!([{"product_id": 3, "quantity": 1}]))
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(quote_source(&order).as_deref(), Some("quote"), "{order}");

    // A Toxiproxy latency toxic on shipping's proxy: past orders' timeout,
    // so the order gets the default quote; removed, quotes come back.
    let (status, toxic) = lab
        .post_agent(
            "/proxies/shipping/toxics",
            json!({"name": "slow", "type": "latency", "attributes": {"latency": 1500}}),
        )
        .await;
    assert_eq!(status, 200, "{toxic}");
    let (status, order) = lab
        .checkout(&token, None, json!([{"product_id": 3, "quantity": 1}]))
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(quote_source(&order).as_deref(), Some("default"), "{order}");
    let r = lab
        .http
        .delete(format!("{}/proxies/shipping/toxics/slow", lab.agent()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, order) = lab
        .checkout(&token, None, json!([{"product_id": 3, "quantity": 1}]))
        .await;
    assert_eq!(quote_source(&order).as_deref(), Some("quote"), "{order}");

    // An HTTP fault on recommendations' proxy: the page, without them.
    let (status, fault) = lab
        .post_agent(
            "/chaos/proxies/recommendations/faults",
            json!({"type": "abort", "status": 503, "duration_ms": 1500}),
        )
        .await;
    assert_eq!(status, 201, "{fault}");
    let p = page(&lab, 4).await;
    assert!(p["recommendations"].is_null(), "{p}");
    assert!(
        p["delivery"].is_object(),
        "only the faulted part is missing: {p}"
    );
    eventually(
        "the HTTP fault ends by itself",
        Duration::from_secs(10),
        || async {
            page(&lab, 4).await["recommendations"]
                .is_array()
                .then_some(())
        },
    )
    .await;

    // In-service faults through the agent, each ending by itself.
    for (service, part) in [
        ("recommendations", "recommendations"),
        ("shipping", "delivery"),
    ] {
        let (status, fault) = lab
            .post_agent(
                &format!("/chaos/services/{service}/faults"),
                json!({"kind": "error_rate", "rate": 1.0, "duration_ms": 1500}),
            )
            .await;
        assert_eq!(status, 201, "{service}: {fault}");
        assert!(
            page(&lab, 5).await[part].is_null(),
            "{service} fails: no {part}"
        );
        eventually(
            "the in-service fault expires",
            Duration::from_secs(10),
            || async { (!page(&lab, 5).await[part].is_null()).then_some(()) },
        )
        .await;
    }

    // Process faults: pause (the page does not wait for a frozen process),
    // kill (the supervisor restarts it), stop for a while (back by itself).
    let (status, fault) = lab
        .post_agent(
            "/chaos/process/recommendations",
            json!({"action": "pause", "duration_ms": 2000}),
        )
        .await;
    assert_eq!(status, 201, "{fault}");
    let started = std::time::Instant::now();
    let p = page(&lab, 6).await;
    assert!(p["recommendations"].is_null(), "{p}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the gateway's timeout bounds the page: {:?}",
        started.elapsed()
    );
    eventually("resumed by itself", Duration::from_secs(10), || async {
        page(&lab, 6).await["recommendations"]
            .is_array()
            .then_some(())
    })
    .await;

    let pid = lab.pid_of("shipping").expect("shipping runs");
    let (status, fault) = lab
        .post_agent("/chaos/process/shipping", json!({"action": "kill"}))
        .await;
    assert_eq!(status, 201, "{fault}");
    eventually(
        "shipping restarted and ready",
        Duration::from_secs(15),
        || async {
            let again = lab.pid_of("shipping").is_some_and(|p| p != pid);
            (again && page(&lab, 2).await["delivery"].is_object()).then_some(())
        },
    )
    .await;

    let (status, fault) = lab
        .post_agent(
            "/chaos/process/recommendations",
            json!({"action": "stop", "duration_ms": 1500}),
        )
        .await;
    assert_eq!(status, 201, "{fault}");
    eventually(
        "recommendations stopped",
        Duration::from_secs(5),
        || async { lab.pid_of("recommendations").is_none().then_some(()) },
    )
    .await;
    assert!(page(&lab, 8).await["recommendations"].is_null());
    eventually(
        "recommendations back by itself",
        Duration::from_secs(20),
        || async {
            page(&lab, 8).await["recommendations"]
                .is_array()
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_python_and_node_the_shop_runs_without_them() {
    // A PATH with neither python3 nor node (nor npm) on it.
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().display().to_string();
    let lab = Lab::start(&[], &[("PATH", &path)]).await;
    let err = std::fs::read_to_string(lab.state_dir().join("up.err")).unwrap();
    assert!(
        err.contains("recommendations: left out of this lab: `python3` not found on PATH"),
        "one clear line: {err}"
    );
    assert!(
        err.contains("shipping: left out of this lab: `node` not found on PATH"),
        "{err}"
    );
    let state = lab.reload();
    assert_eq!(state["processes"]["recommendations"]["state"], "left out");
    assert_eq!(state["processes"]["catalog"]["state"], "running", "{state}");
    let p = page(&lab, 7).await;
    assert!(
        p["recommendations"].is_null() && p["delivery"].is_null(),
        "{p}"
    );
    assert!(p["stock"].is_u64(), "the rest of the page is there: {p}");
    let token = lab.login().await;
    let (status, order) = lab
        .checkout(&token, None, json!([{"product_id": 7, "quantity": 1}]))
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["shipping"]["source"], "default", "{order}");
}
