//! The Python (`recommendations`) and Node.js (`shipping`) services keep the
//! contract of the Rust services, each test once for each service:
//!
//! - [`faults`]: `/admin` faults answer as the Rust side answers, act at
//!   their rate or length, and end by themselves;
//! - [`telemetry`]: `/metrics` passes the Rust services' check; spans of
//!   their official OpenTelemetry SDKs reach the lab's hub and continue the
//!   caller's trace;
//! - [`lifecycle`]: the processes stop on SIGTERM, flushing spans that name
//!   their SDK's language, and when their parent is gone;
//! - [`api`]: what each service is for (recommendations, quotes, shipments).

#[path = "../support/mod.rs"]
mod support;

use chaoslab_contract::client::HubClient;
use chaoslab_contract::wire::hub::{SpanKind, StatusCode};
use serde_json::{Value, json};
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};
use support::{
    eventually,
    polyglot::{Polyglot, Service, free_ports, start_rust, start_rust_with, wait_ready},
};

/// Runs `$test(Polyglot::X)` once for each service, as `$test::recommendations`
/// and `$test::shipping`.
macro_rules! for_both {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            use super::*;
            #[tokio::test(flavor = "multi_thread")]
            async fn recommendations() {
                super::$test(Polyglot::Recommendations).await
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn shipping() {
                super::$test(Polyglot::Shipping).await
            }
        }
    )*};
}

// After the macro, which they use.
mod api;
mod faults;
mod lifecycle;
mod telemetry;

/// Telemetry off: for the tests that do not look at spans.
const NO_SPANS: &[(&str, &str)] = &[("OTEL_SDK_DISABLED", "true")];

/// The service's business request, with `traceparent` when given; (status, body).
async fn business(svc: &Service, p: Polyglot, traceparent: Option<&str>) -> (u16, Value) {
    let (method, path, body) = p.business_request();
    let url = format!("{}{path}", svc.url);
    let mut req = match method {
        "GET" => svc.http.get(url),
        _ => svc.http.post(url).json(&body.unwrap_or(Value::Null)),
    };
    if let Some(tp) = traceparent {
        req = req.header("traceparent", tp);
    }
    let r = req.send().await.expect("business request");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post_fault(svc: &Service, body: &str) -> (u16, Value) {
    let r = svc
        .http
        .post(format!("{}/admin/faults", svc.url))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn faults(svc: &Service) -> Vec<Value> {
    let v: Value = svc
        .http
        .get(format!("{}/admin/faults", svc.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v.as_array().cloned().expect("a list of faults")
}

async fn metrics_text(svc: &Service) -> String {
    svc.http
        .get(format!("{}/metrics", svc.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the series `name{labels...}` on a `/metrics` page.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    chaoslab_hub::metrics::exposition::parse(text)
        .ok()?
        .into_iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(n, x)| n == k && x == v))
        })
        .map(|s| s.value)
}

/// A random W3C trace id and parent span id, as hex.
fn ids() -> (String, String) {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    let a = h.finish();
    h.write_u64(a);
    let b = h.finish();
    h.write_u64(b);
    (
        format!("{a:016x}{b:016x}"),
        format!("{:016x}", h.finish() | 1),
    )
}
