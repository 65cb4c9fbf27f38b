//! The Python (`recommendations`) and Node.js (`shipping`) services keep the
//! contract of the Rust services: `/metrics` passes the same check, `/admin`
//! faults answer as the Rust side answers and end by themselves, spans of
//! their official OpenTelemetry SDKs reach the lab's hub and continue the
//! caller's trace, and the processes stop on SIGTERM (flushing their spans)
//! and when their parent is gone. Each test runs for both services.

mod support;

use chaoslab_hub::{HubClient, api::types::SpanKind};
use serde_json::{Value, json};
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};
use support::{
    eventually,
    polyglot::{Polyglot, Service, free_port, start_rust, wait_ready},
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

for_both!(
    metrics_pass_the_lab_check,
    bad_faults_are_refused_as_the_rust_services_refuse_them,
    an_error_rate_fault_fails_about_its_rate_and_ends_by_itself,
    a_latency_fault_slows_requests_and_ends_by_itself,
    spans_reach_the_hub_and_continue_the_callers_trace,
    spans_carry_the_sdk_language_and_are_flushed_on_sigterm,
    the_service_exits_when_its_parent_is_gone,
);

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

async fn metrics_pass_the_lab_check(p: Polyglot) {
    let Some(svc) = p.start(NO_SPANS).await else {
        return;
    };
    let (status, body) = business(&svc, p, None).await;
    assert_eq!(status, 200, "{body}");
    let text = metrics_text(&svc).await;
    let samples = support::metrics::assert_semconv_server_histogram(p.name(), &text);
    let route = samples.iter().any(|s| {
        s.name == "http_server_request_duration_seconds_count"
            && s.labels
                .iter()
                .any(|(k, v)| k == "http_route" && v == p.business_route())
    });
    assert!(
        route,
        "{}: the request is counted under its route:\n{text}",
        p.name()
    );
    // Every fault kind shows, at zero, before any fault (as on the Rust side).
    for kind in [
        "error_rate",
        "latency",
        "slow_storage",
        "cpu_burn",
        "memory_growth",
        "pool_shrink",
    ] {
        let active = sample(
            &text,
            "chaos_faults_active",
            &[("kind", kind), ("target", p.name())],
        );
        assert_eq!(
            active,
            Some(0.0),
            "{}: chaos_faults_active{{kind={kind}}}",
            p.name()
        );
    }
}

/// Bodies the Rust services refuse, each for its own reason.
const BAD_FAULTS: &[&str] = &[
    "{",
    "",
    "[]",
    "5",
    r#"{"rate": 1}"#,
    r#"{"kind": "flood"}"#,
    r#"{"kind": 5}"#,
    r#"{"kind": null}"#,
    r#"{"kind": "error_rate"}"#,
    r#"{"kind": "error_rate", "rate": "x"}"#,
    r#"{"kind": "error_rate", "rate": 2}"#,
    r#"{"kind": "error_rate", "rate": -0.5}"#,
    r#"{"kind": "error_rate", "rate": 0.5, "status": 70000}"#,
    r#"{"kind": "error_rate", "rate": 0.5, "status": 200}"#,
    r#"{"kind": "error_rate", "rate": 0.5, "status": 503.0}"#,
    r#"{"kind": "error_rate", "rate": 1e400}"#,
    r#"{"kind": "latency", "latency_ms": -5}"#,
    r#"{"kind": "latency", "latency_ms": 1.5}"#,
    r#"{"kind": "latency", "latency_ms": 1e3}"#,
    r#"{"kind": "latency", "latency_ms": 1e-7}"#,
    r#"{"kind": "latency", "latency_ms": 100000000000000000000}"#,
    r#"{"kind": "latency", "latency_ms": null}"#,
    r#"{"kind": "latency", "latency_ms": true}"#,
    r#"{"kind": "latency", "latency_ms": [1]}"#,
    r#"{"kind": "latency", "latency_ms": "5"}"#,
    r#"{"kind": "latency"}"#,
    r#"{"kind": "latency", "latency_ms": 5, "bogus": 1}"#,
    r#"{"kind": "latency", "latency_ms": 1000, "jitter_ms": "a", "zz": 1}"#,
    r#"{"kind": "latency", "latency_ms": 600000, "jitter_ms": 1}"#,
    r#"{"kind": "latency", "latency_ms": 5, "duration_ms": 0}"#,
    r#"{"kind": "latency", "latency_ms": 5, "duration_ms": 1.5}"#,
    r#"{"kind": "latency", "latency_ms": 5, "duration_ms": 3600001}"#,
    r#"{"kind": "slow_storage", "latency_ms": 700000}"#,
    r#"{"kind": "slow_storage", "x": 1}"#,
    r#"{"kind": "cpu_burn", "threads": 0}"#,
    r#"{"kind": "cpu_burn", "percent": 300}"#,
    r#"{"kind": "memory_growth", "mb_per_sec": 1, "max_mb": 5000}"#,
    r#"{"kind": "memory_growth", "mb_per_sec": 1}"#,
    r#"{"kind": "pool_shrink", "dependency": "payments"}"#,
    r#"{"kind": "pool_shrink", "dependency": "payments", "size": 0}"#,
    r#"{"kind": "pool_shrink", "size": 2}"#,
];

/// `body` with the service's own name made neutral, and the JSON parser's own
/// words after `malformed JSON:` dropped (each language's parser has its own).
fn comparable(body: &Value, service: &str) -> Value {
    let mut v = body.clone();
    if let Some(reason) = v["reason"].as_str() {
        let reason = match reason.split_once("malformed JSON: ") {
            Some((before, _)) => format!("{before}malformed JSON: ..."),
            None => reason.replacen(service, "SERVICE", 1),
        };
        v["reason"] = Value::String(reason);
    }
    v
}

async fn bad_faults_are_refused_as_the_rust_services_refuse_them(p: Polyglot) {
    let Some(svc) = p.start(NO_SPANS).await else {
        return;
    };
    let rust = start_rust("users").await;
    for body in BAD_FAULTS {
        let (want_status, want) = post_fault(&rust, body).await;
        let (status, got) = post_fault(&svc, body).await;
        assert!(want_status >= 400, "users accepted {body}: {want}");
        assert_eq!(
            status,
            want_status,
            "{}: status for {body}: {got}",
            p.name()
        );
        assert_eq!(
            comparable(&got, p.name()),
            comparable(&want, "users"),
            "{}: answer to {body}",
            p.name()
        );
    }
    assert!(faults(&svc).await.is_empty(), "nothing was added");

    // A good fault has the same shape on both sides, and is removed the same way.
    let good = r#"{"kind": "latency", "latency_ms": 1, "route": "/nothing", "duration_ms": 60000}"#;
    let (_, want) = post_fault(&rust, good).await;
    let (status, got) = post_fault(&svc, good).await;
    assert_eq!(status, 201, "{got}");
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&got), keys(&want), "the fault's fields");
    for field in ["kind", "route", "latency_ms", "jitter_ms", "duration_ms"] {
        assert_eq!(got[field], want[field], "{field}");
    }
    assert_eq!(got["target"], p.name());
    let id = got["id"].as_str().expect("an id").to_string();
    assert!(id.starts_with(&format!("{}-", p.name())), "{id}");
    assert!(got["remaining_ms"].as_u64().is_some_and(|ms| ms <= 60000));
    assert_eq!(faults(&svc).await.len(), 1);
    let http = svc.http.clone();
    let delete = |url: String| {
        let http = http.clone();
        async move {
            let r = http.delete(url).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(
        delete(format!("{}/admin/faults/{id}", svc.url)).await.0,
        204
    );
    let (status, again) = delete(format!("{}/admin/faults/{id}", svc.url)).await;
    let rust_id = want["id"].as_str().unwrap().to_string();
    assert_eq!(
        delete(format!("{}/admin/faults/{rust_id}", rust.url))
            .await
            .0,
        204
    );
    let (want_status, want_again) = delete(format!("{}/admin/faults/{rust_id}", rust.url)).await;
    assert_eq!(
        (status, again["error"].clone()),
        (want_status, want_again["error"].clone())
    );
    assert_eq!(again["reason"], format!("no active fault \"{id}\""));
    assert!(faults(&svc).await.is_empty());
}

async fn an_error_rate_fault_fails_about_its_rate_and_ends_by_itself(p: Polyglot) {
    let Some(svc) = p.start(NO_SPANS).await else {
        return;
    };
    let route = p.business_route();
    // A fault on another route must not touch this one.
    let elsewhere =
        r#"{"kind": "error_rate", "rate": 1, "route": "/elsewhere", "duration_ms": 60000}"#;
    assert_eq!(post_fault(&svc, elsewhere).await.0, 201);
    let fault = format!(
        r#"{{"kind": "error_rate", "rate": 0.5, "status": 503, "route": "{route}", "duration_ms": 5000}}"#
    );
    let (status, view) = post_fault(&svc, &fault).await;
    assert_eq!(status, 201, "{view}");
    let text = metrics_text(&svc).await;
    assert_eq!(
        sample(&text, "chaos_faults_active", &[("kind", "error_rate")]),
        Some(2.0)
    );

    let n = 200;
    let mut failed = 0;
    for _ in 0..n {
        let (status, body) = business(&svc, p, None).await;
        match status {
            200 => {}
            503 => {
                failed += 1;
                assert_eq!(body["error"], "injected fault", "{body}");
                assert_eq!(
                    body["reason"],
                    format!("{} answered 503 because of an error_rate fault", p.name())
                );
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let id = view["id"].as_str().unwrap();
    assert!(
        faults(&svc).await.iter().any(|f| f["id"] == id),
        "the fault outlasted the requests (else the rate says nothing)"
    );
    let rate = failed as f64 / n as f64;
    assert!(
        (0.35..=0.65).contains(&rate),
        "{failed} of {n} failed, for a rate of 0.5"
    );
    let text = metrics_text(&svc).await;
    let injected =
        sample(&text, "chaos_injections_total", &[("kind", "error_rate")]).unwrap_or(0.0);
    assert_eq!(
        injected, failed as f64,
        "one injection counted per failed request"
    );
    let errors = sample(
        &text,
        "http_server_request_duration_seconds_count",
        &[
            ("http_route", route),
            ("http_response_status_code", "503"),
            ("error_type", "503"),
        ],
    );
    assert_eq!(
        errors,
        Some(failed as f64),
        "the failures are in the histogram:\n{text}"
    );

    // Nobody removes it: it ends at its expiry, and requests succeed again.
    eventually(Duration::from_secs(15), "the fault expires", || async {
        (!faults(&svc).await.iter().any(|f| f["id"] == id)).then_some(())
    })
    .await;
    for _ in 0..30 {
        let (status, body) = business(&svc, p, None).await;
        assert_eq!(status, 200, "after the expiry: {body}");
    }
    let text = metrics_text(&svc).await;
    assert_eq!(
        sample(&text, "chaos_faults_active", &[("kind", "error_rate")]),
        Some(1.0)
    );
}

async fn a_latency_fault_slows_requests_and_ends_by_itself(p: Polyglot) {
    let Some(svc) = p.start(NO_SPANS).await else {
        return;
    };
    let fault = format!(
        r#"{{"kind": "latency", "latency_ms": 600, "route": "{}", "duration_ms": 2500}}"#,
        p.business_route()
    );
    let (status, view) = post_fault(&svc, &fault).await;
    assert_eq!(status, 201, "{view}");
    let started = Instant::now();
    let (status, _) = business(&svc, p, None).await;
    let slowed = started.elapsed();
    assert_eq!(status, 200);
    assert!(slowed >= Duration::from_millis(600), "took {slowed:?}");
    let text = metrics_text(&svc).await;
    assert_eq!(
        sample(&text, "chaos_injections_total", &[("kind", "latency")]),
        Some(1.0)
    );
    // The slow request is in the histogram's 0.75 s bucket but not in 0.5 s.
    let bucket = |le: &str| {
        sample(
            &text,
            "http_server_request_duration_seconds_bucket",
            &[("http_route", p.business_route()), ("le", le)],
        )
    };
    assert_eq!(
        (bucket("0.5"), bucket("+Inf")),
        (Some(0.0), Some(1.0)),
        "{text}"
    );

    eventually(Duration::from_secs(15), "the fault expires", || async {
        faults(&svc).await.is_empty().then_some(())
    })
    .await;
    let started = Instant::now();
    let (status, _) = business(&svc, p, None).await;
    let after = started.elapsed();
    assert_eq!(status, 200);
    assert!(
        after < Duration::from_millis(300),
        "after the expiry: {after:?}"
    );
}

/// `chaoslab hub` on free ports; (process, API URL, OTLP gRPC URL, OTLP HTTP URL).
async fn start_hub() -> (Service, String, String) {
    let (api, grpc, otlp_http) = (free_port(), free_port(), free_port());
    let mut cmd = Command::new(support::exe());
    cmd.args(["hub", "--api", &format!("127.0.0.1:{api}")])
        .args(["--otlp-grpc", &format!("127.0.0.1:{grpc}")])
        .args(["--otlp-http", &format!("127.0.0.1:{otlp_http}")])
        .env("OTEL_SDK_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = cmd.spawn().expect("spawn chaoslab hub");
    let api_url = format!("http://127.0.0.1:{api}");
    let hub = Service::adopt("hub", child, &api_url);
    eventually(Duration::from_secs(20), "the hub answers", || async {
        hub.http
            .get(format!("{api_url}/api/health"))
            .send()
            .await
            .ok()
            .filter(|r| r.status() == 200)
            .map(|_| ())
    })
    .await;
    (hub, api_url, format!("http://127.0.0.1:{otlp_http}"))
}

async fn spans_reach_the_hub_and_continue_the_callers_trace(p: Polyglot) {
    let (_hub, api, otlp_http) = start_hub().await;
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_http.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ];
    let Some(svc) = p.start(&env).await else {
        return;
    };
    let client = HubClient::new(&api).unwrap();
    let (trace, parent) = ids();
    let (status, _) = business(&svc, p, Some(&format!("00-{trace}-{parent}-01"))).await;
    assert_eq!(status, 200);
    let span = eventually(
        Duration::from_secs(10),
        "the service's span in the hub",
        || async {
            let detail = client.trace(&trace).await.ok()?;
            detail.spans.into_iter().find(|s| {
                s.service == p.name() && s.parent_span_id.as_deref() == Some(parent.as_str())
            })
        },
    )
    .await;
    let name = format!("{} {}", p.business_request().0, p.business_route());
    assert_eq!(
        (span.kind, span.name.as_str()),
        (SpanKind::Server, name.as_str()),
        "{span:?}"
    );
    assert_eq!(
        span.attributes.get("http.route"),
        Some(&json!(p.business_route())),
        "{span:?}"
    );
    assert_eq!(
        span.attributes.get("http.request.method"),
        Some(&json!(p.business_request().0)),
        "{span:?}"
    );

    // A request an in-service fault hit carries the fault's event, and fails.
    let fault = format!(
        r#"{{"kind": "error_rate", "rate": 1, "status": 503, "route": "{}", "duration_ms": 30000}}"#,
        p.business_route()
    );
    let (status, view) = post_fault(&svc, &fault).await;
    assert_eq!(status, 201, "{view}");
    let (trace, parent) = ids();
    let (status, _) = business(&svc, p, Some(&format!("00-{trace}-{parent}-01"))).await;
    assert_eq!(status, 503);
    let span = eventually(
        Duration::from_secs(10),
        "the faulted span in the hub",
        || async {
            let detail = client.trace(&trace).await.ok()?;
            detail.spans.into_iter().find(|s| s.service == p.name())
        },
    )
    .await;
    let event = span
        .events
        .iter()
        .find(|e| e.name == "chaos.fault")
        .unwrap_or_else(|| panic!("no chaos.fault event: {span:?}"));
    assert_eq!(
        event.attributes.get("chaos.fault.kind"),
        Some(&json!("error_rate"))
    );
    assert_eq!(event.attributes.get("chaos.fault.id"), Some(&view["id"]));
    assert_eq!(
        event.attributes.get("chaos.fault.target"),
        Some(&json!(p.name()))
    );
    assert_eq!(
        span.attributes.get("http.response.status_code"),
        Some(&json!(503))
    );

    // Health checks, scrapes and admin calls (this test made many) get no spans.
    let query = chaoslab_hub::client::TraceQuery {
        service: Some(p.name().to_string()),
        ..Default::default()
    };
    let listed = client.traces(&query).await.unwrap();
    let names: Vec<&str> = listed.traces.iter().map(|t| t.root_name.as_str()).collect();
    assert_eq!(
        listed.traces.len(),
        2,
        "only the two business requests: {names:?}"
    );
}

async fn spans_carry_the_sdk_language_and_are_flushed_on_sigterm(p: Polyglot) {
    let (receiver, endpoint) = support::otlp::start().await;
    // gRPC by default (no protocol named); a batch delay too long to matter,
    // so only the flush on SIGTERM can deliver the span.
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "60000"),
    ];
    let Some(mut svc) = p.start(&env).await else {
        return;
    };
    let (trace, parent) = ids();
    let (status, _) = business(&svc, p, Some(&format!("00-{trace}-{parent}-01"))).await;
    assert_eq!(status, 200);
    let started = Instant::now();
    let exit = svc.terminate(Duration::from_secs(3));
    let took = started.elapsed();
    let exit = exit.unwrap_or_else(|| panic!("{} still running 3 s after SIGTERM", p.name()));
    assert!(exit.success(), "{exit:?}:\n{}", svc.log());
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!("{}: stopped {took:?} after SIGTERM\n", p.name()),
    );
    let spans = receiver.spans.lock().unwrap().clone();
    let span = spans
        .iter()
        .find(|s| s.trace_id == trace)
        .unwrap_or_else(|| {
            panic!(
                "the span was not flushed on SIGTERM: {spans:?}\n{}",
                svc.log()
            )
        });
    assert_eq!(span.service, p.name());
    assert_eq!(
        span.resource
            .get("telemetry.sdk.language")
            .map(String::as_str),
        Some(p.sdk_language()),
        "{:?}",
        span.resource
    );
}

async fn the_service_exits_when_its_parent_is_gone(p: Polyglot) {
    let argv = match p.argv() {
        Ok(argv) => argv,
        Err(why) => return support::polyglot::skip(p.name(), &why),
    };
    // A shell is the parent: it names itself in CHAOSLAB_PARENT_PID, starts
    // the service, says its pid, and waits; then the shell is killed.
    let port = free_port();
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(r#"export CHAOSLAB_PARENT_PID=$$; "$@" & echo $!; wait"#)
        .arg("sh")
        .args(&argv)
        .args(["--port", &port.to_string()])
        .env("OTEL_SDK_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sh");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(parent.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let pid: i32 = line.trim().parse().expect("the service's pid");
    let _reap = KillOnDrop(pid);
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url, Duration::from_secs(30), String::new).await;
    assert!(alive(pid), "running while its parent is");

    parent.kill().unwrap();
    parent.wait().unwrap();
    eventually(
        Duration::from_secs(5),
        "the orphaned service exits",
        || async { (!alive(pid)).then_some(()) },
    )
    .await;
}

/// Kills `pid` if the test ends with it still running.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if alive(self.0) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.0),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
