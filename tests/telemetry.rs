//! Telemetry end to end: spans through the official OTLP exporter to a real
//! receiver, and `/metrics` of every process in the Prometheus text format.

mod support;

use serde_json::json;
use std::{collections::BTreeSet, time::Duration};
use support::{Lab, eventually, otlp};

#[tokio::test(flavor = "multi_thread")]
async fn one_checkout_is_one_trace_across_five_services() {
    let (receiver, lab) = otlp::lab().await;
    let token = lab.login().await;
    let (status, body) = lab
        .checkout(
            &token,
            Some("trace-me"),
            json!([{"product_id": 7, "quantity": 1}]),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // The checkout's trace is the one whose gateway span is POST /api/checkout.
    let services = eventually(
        "spans of five services under one trace id",
        Duration::from_secs(20),
        || async {
            let spans = receiver.spans.lock().unwrap().clone();
            let trace = spans
                .iter()
                .find(|s| s.service == "gateway" && s.name == "POST /api/checkout")?
                .trace_id
                .clone();
            let services: BTreeSet<String> = spans
                .iter()
                .filter(|s| s.trace_id == trace)
                .map(|s| s.service.clone())
                .collect();
            let want = ["gateway", "orders", "users", "inventory", "payments"];
            want.iter()
                .all(|w| services.contains(*w))
                .then_some(services)
        },
    )
    .await;
    assert!(services.len() >= 5, "{services:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_metrics_page_parses_and_has_the_semconv_histograms() {
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let (status, _) = lab
        .checkout(&token, None, json!([{"product_id": 1, "quantity": 1}]))
        .await;
    assert_eq!(status, 201);
    let _ = lab
        .get_json(&format!("{}/api/products/3", lab.gateway()))
        .await;

    for service in [
        "gateway",
        "users",
        "catalog",
        "inventory",
        "orders",
        "payments",
    ] {
        // A histogram sample can reach the exposition a moment after the answer.
        let url = format!("{}/metrics", lab.url_of(service));
        let text = eventually(
            &format!("{service}: server histogram exposed"),
            Duration::from_secs(20),
            || async {
                let t = lab.http.get(&url).send().await.ok()?.text().await.ok()?;
                t.contains("http_server_request_duration_seconds_bucket{")
                    .then_some(t)
            },
        )
        .await;
        // The same check as the services in other languages pass.
        support::metrics::assert_semconv_server_histogram(service, &text);
        if ["gateway", "catalog", "orders"].contains(&service) {
            assert!(
                text.contains("http_client_request_duration_seconds_bucket{"),
                "{service}: client histogram"
            );
            assert!(
                text.contains("server_address=\""),
                "{service}: callee label"
            );
            for m in [
                "resilience_calls_total",
                "resilience_circuit_state",
                "resilience_bulkhead_in_flight",
                "resilience_retries_total",
            ] {
                assert!(text.contains(m), "{service}: {m}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fault_the_proxy_injects_is_in_the_requests_trace() {
    let (receiver, lab) = otlp::lab().await;
    let r = lab
        .http
        .post(format!("{}/chaos/proxies/inventory/faults", lab.agent()))
        .json(&json!({"type": "abort", "status": 503, "percent": 100, "match": {"path": "/stock"}, "duration_ms": 30000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let (status, page) = lab
        .get_json(&format!("{}/api/products/9", lab.gateway()))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page["stock"].is_null(), "served without stock: {page}");

    let (trace, proxy_span) = eventually(
        "the proxy's span with the fault, in the page's trace",
        Duration::from_secs(20),
        || async {
            let spans = receiver.spans.lock().unwrap().clone();
            let page = spans
                .iter()
                .find(|s| s.service == "gateway" && s.name == "GET /api/products/{id}")?;
            let faulted = spans.iter().find(|s| {
                s.trace_id == page.trace_id
                    && s.service == "agent"
                    && s.events.iter().any(|e| e == "chaos.fault")
            })?;
            Some((page.trace_id.clone(), faulted.name.clone()))
        },
    )
    .await;
    assert!(
        proxy_span.contains("inventory"),
        "the span names the proxy: {proxy_span} in {trace}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn made_up_methods_are_counted_as_other_not_as_series_of_their_own() {
    let (receiver, lab) = otlp::lab().await;
    let url = format!("{}/api/products", lab.gateway());
    for m in ["PURGE1", "PURGE2", "PURGE3", "get"] {
        let method = reqwest::Method::from_bytes(m.as_bytes()).unwrap();
        let status = lab
            .http
            .request(method, &url)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "{m}: {status}");
    }
    let (status, _) = lab.get_json(&url).await;
    assert_eq!(status, 200);

    let text = eventually(
        "the made-up methods' requests counted",
        Duration::from_secs(20),
        || async {
            let t = lab.metrics_text("gateway").await;
            t.lines()
                .any(|l| {
                    l.starts_with("http_server_request_duration_seconds_count{")
                        && l.contains("http_request_method=\"_OTHER\"")
                        && l.ends_with(" 4")
                })
                .then_some(t)
        },
    )
    .await;
    assert!(
        text.contains("http_request_method=\"GET\""),
        "the known method keeps its label"
    );
    for m in ["PURGE", "\"get\""] {
        assert!(!text.contains(m), "{m} became a label value");
    }
    // Their spans follow the conventions' name for an unknown method.
    eventually(
        "an HTTP-named span for the made-up methods",
        Duration::from_secs(20),
        || async {
            let spans = receiver.spans.lock().unwrap();
            spans
                .iter()
                .any(|s| s.service == "gateway" && s.name == "HTTP /api/products")
                .then_some(())
        },
    )
    .await;
}
