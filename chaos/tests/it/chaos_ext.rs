//! The `/chaos` extensions: HTTP faults, trace continuation, durations and
//! expiry of every fault kind, process and in-service faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chaoslab_chaos::{Agent, LabControl, ProxySpec};
use serde_json::{Value, json};

use crate::lab::{TestLab, http_upstream};
use crate::support::*;

async fn fault(agent: &Arc<Agent>, proxy: &str, body: Value) -> Value {
    let (s, v) = call(
        agent,
        "POST",
        &format!("/chaos/proxies/{proxy}/faults"),
        &body.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn status_of(client: &reqwest::Client, req: reqwest::RequestBuilder) -> u16 {
    let _ = client;
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_hits_the_stated_percentage() {
    let agent = agent();
    let base = http_proxy(&agent, "pct").await;
    fault(
        &agent,
        "pct",
        json!({"type": "abort", "status": 503, "percent": 30}),
    )
    .await;
    let client = reqwest::Client::new();
    let n = 600;
    let mut aborted = 0;
    for _ in 0..n {
        if status_of(&client, client.get(format!("{base}/api/x"))).await == 503 {
            aborted += 1;
        }
    }
    // 30% of 600 = 180, sigma = sqrt(600 * 0.3 * 0.7) = 11.2; allow 4.5 sigma.
    assert!((130..=230).contains(&aborted), "{aborted} of {n} aborted");
    let injected = metric(
        &agent,
        "chaos_injections_total",
        &["target=\"pct\"", "kind=\"http_abort\""],
    )
    .await;
    assert!(injected >= aborted as f64, "{injected}");
    let active = metric(
        &agent,
        "chaos_faults_active",
        &["target=\"pct\"", "kind=\"http_abort\""],
    )
    .await;
    assert_eq!(active, 1.0);
}

#[tokio::test]
async fn faults_match_method_path_and_headers() {
    let agent = agent();
    let base = http_proxy(&agent, "match").await;
    fault(
        &agent,
        "match",
        json!({"type": "abort", "status": 418, "body": "teapot",
               "match": {"method": "POST", "path": "/api/*/pay", "headers": {"x-user": "bob"}}}),
    )
    .await;
    let c = reqwest::Client::new();
    let hit = c
        .post(format!("{base}/api/7/pay"))
        .header("x-user", "bob")
        .send()
        .await
        .unwrap();
    assert_eq!(hit.status().as_u16(), 418);
    assert_eq!(hit.text().await.unwrap(), "teapot");
    assert_eq!(
        status_of(
            &c,
            c.get(format!("{base}/api/7/pay")).header("x-user", "bob")
        )
        .await,
        200
    );
    assert_eq!(
        status_of(
            &c,
            c.post(format!("{base}/api/7/pay")).header("x-user", "eve")
        )
        .await,
        200
    );
    assert_eq!(
        status_of(&c, c.post(format!("{base}/health")).header("x-user", "bob")).await,
        200
    );
}

#[tokio::test]
async fn delay_faults_and_latency_toxics_slow_requests() {
    let agent = agent();
    let base = http_proxy(&agent, "slow").await;
    let c = reqwest::Client::new();
    fault(
        &agent,
        "slow",
        json!({"type": "delay", "delay": {"distribution": "fixed", "ms": 150}}),
    )
    .await;
    let start = Instant::now();
    assert_eq!(status_of(&c, c.get(format!("{base}/"))).await, 200);
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );
    let (s, _) = call(&agent, "DELETE", "/chaos/faults", "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    toxic(
        &agent,
        "slow",
        json!({"type": "latency", "attributes": {"latency": 120}}),
    )
    .await;
    let start = Instant::now();
    assert_eq!(status_of(&c, c.get(format!("{base}/"))).await, 200);
    assert!(
        start.elapsed() >= Duration::from_millis(120),
        "{:?}",
        start.elapsed()
    );

    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/proxies/slow/faults",
        r#"{"type": "delay", "delay": {"distribution": "uniform", "min_ms": 9, "max_ms": 1}}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn the_proxy_continues_the_trace() {
    let agent = agent();
    let base = http_proxy(&agent, "trace").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let sent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let body = reqwest::Client::new()
        .get(format!("{base}/x"))
        .header("traceparent", &sent)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let forwarded = body.strip_prefix("ok ").unwrap();
    let sc = traceparent_context(forwarded).expect("a valid traceparent forwarded");
    assert_eq!(sc.trace_id().to_string(), trace_id);
}

#[tokio::test]
async fn http_faults_need_an_http_proxy_and_valid_input() {
    let agent = agent();
    proxy(&agent, "tcp", echo_server().await).await;
    let (s, _) = call(
        &agent,
        "POST",
        "/chaos/proxies/tcp/faults",
        r#"{"type": "abort", "status": 500}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/proxies/nope/faults",
        r#"{"type": "abort", "status": 500}"#,
    )
    .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("proxy not found"))
    );
    http_proxy(&agent, "h").await;
    let (s, _) = call(
        &agent,
        "POST",
        "/chaos/proxies/h/faults",
        r#"{"type": "abort", "status": 503, "percent": 150}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(
        &agent,
        "POST",
        "/chaos/proxies/h/faults",
        r#"{"type": "explode"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_fault_kind_expires_by_itself() {
    let lab = TestLab::start().await;
    let control: Arc<dyn LabControl> = lab.clone();
    let agent = agent_with(Some(control));
    let base = http_proxy(&agent, "exp").await;
    proxy(&agent, "tcpexp", echo_server().await).await;

    fault(
        &agent,
        "exp",
        json!({"type": "abort", "status": 503, "duration_ms": 800}),
    )
    .await;
    let (s, _) = call(
        &agent,
        "POST",
        "/chaos/proxies/tcpexp/toxics",
        r#"{"type": "latency", "attributes": {"latency": 10}, "duration_ms": 800}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/process/sleeper",
        r#"{"action": "pause", "duration_ms": 800}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/services/svc/faults",
        r#"{"kind": "error_rate", "rate": 0.5, "duration_ms": 800}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
    let list = list.as_array().unwrap().clone();
    let kinds: Vec<&str> = list.iter().map(|f| f["source"].as_str().unwrap()).collect();
    for source in ["http", "toxic", "process", "service"] {
        assert!(kinds.contains(&source), "{source} missing from {list:?}");
    }
    assert!(
        list.iter()
            .all(|f| f["remaining_ms"].as_u64().is_some_and(|ms| ms <= 800)),
        "{list:?}"
    );
    eventually("the process is stopped", Duration::from_secs(5), || async {
        lab.state() == 'T'
    })
    .await;
    let c = reqwest::Client::new();
    assert_eq!(status_of(&c, c.get(format!("{base}/"))).await, 503);

    eventually("every fault expired", Duration::from_secs(5), || {
        let agent = agent.clone();
        async move {
            let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
            list.as_array().is_some_and(|l| l.is_empty())
        }
    })
    .await;
    eventually(
        "the paused process resumed",
        Duration::from_secs(5),
        || async { lab.state() != 'T' },
    )
    .await;
    assert_eq!(status_of(&c, c.get(format!("{base}/"))).await, 200);
    let (_, toxics) = call(&agent, "GET", "/proxies/tcpexp/toxics", "").await;
    assert_eq!(toxics, json!([]));
    let active = metric(
        &agent,
        "chaos_faults_active",
        &["target=\"exp\"", "kind=\"http_abort\""],
    )
    .await;
    assert_eq!(active, 0.0);
}

#[tokio::test]
async fn faults_are_removed_one_by_one_or_all_at_once() {
    let lab = TestLab::start().await;
    let control: Arc<dyn LabControl> = lab.clone();
    let agent = agent_with(Some(control));
    http_proxy(&agent, "rm").await;
    let f = fault(&agent, "rm", json!({"type": "abort", "status": 500})).await;
    let (s, _) = call(
        &agent,
        "DELETE",
        &format!("/chaos/faults/{}", f["id"].as_str().unwrap()),
        "",
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = call(&agent, "DELETE", "/chaos/faults/http-999", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");

    call(
        &agent,
        "POST",
        "/chaos/process/sleeper",
        r#"{"action": "pause"}"#,
    )
    .await;
    eventually("the process is stopped", Duration::from_secs(5), || async {
        lab.state() == 'T'
    })
    .await;
    call(
        &agent,
        "POST",
        "/chaos/services/svc/faults",
        r#"{"kind": "slow_storage", "latency_ms": 10}"#,
    )
    .await;
    toxic(&agent, "rm", json!({"type": "noop"})).await;
    let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let service_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["source"] == "service")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = call(&agent, "DELETE", &format!("/chaos/faults/{service_id}"), "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, _) = call(&agent, "DELETE", "/chaos/faults", "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
    assert_eq!(list, json!([]));
    eventually(
        "clearing resumes the paused process",
        Duration::from_secs(5),
        || async { lab.state() != 'T' },
    )
    .await;
}

#[tokio::test]
async fn process_and_service_faults_without_a_lab_or_target() {
    let agent = agent();
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/process/users",
        r#"{"action": "kill"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED, "{v}");
    assert!(v["error"].as_str().unwrap().contains("no lab control"));
    let (s, _) = call(
        &agent,
        "POST",
        "/chaos/services/users/faults",
        r#"{"kind": "x"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED);

    let lab = TestLab::start().await;
    let control: Arc<dyn LabControl> = lab.clone();
    let agent = agent_with(Some(control));
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/process/nobody",
        r#"{"action": "kill"}"#,
    )
    .await;
    assert_eq!(
        (s, v["status"].as_u64()),
        (StatusCode::NOT_FOUND, Some(404))
    );
    let (s, _) = call(
        &agent,
        "POST",
        "/chaos/process/sleeper",
        r#"{"action": "dance"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn create_proxy_in_http_mode_from_code() {
    let agent = agent();
    let up = http_upstream().await;
    let view = agent
        .create_proxy(ProxySpec::new("bytes", "127.0.0.1:0", up.to_string()).http())
        .await
        .unwrap();
    // The series exist before any traffic.
    let (_, text) = call(&agent, "GET", "/metrics", "").await;
    let text = text.as_str().unwrap_or_default().to_string();
    let listener = format!("listener=\"{}\"", view.listen);
    for name in [
        "toxiproxy_proxy_received_bytes_total",
        "toxiproxy_proxy_sent_bytes_total",
    ] {
        for dir in ["upstream", "downstream"] {
            let dir = format!("direction=\"{dir}\"");
            assert!(
                text.lines()
                    .any(|l| l.starts_with(name) && l.contains(&dir) && l.contains(&listener)),
                "{name} {dir} missing before traffic"
            );
        }
    }
    assert!(
        text.lines().any(|l| l.starts_with("chaos_faults_active")
            && l.contains("target=\"bytes\"")
            && l.contains("kind=\"down\"")),
        "chaos_faults_active missing for a new proxy"
    );
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let body = client
            .post(format!("http://{}/users/1", view.listen))
            .body("x".repeat(500))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.starts_with("ok"), "{body}");
    }
    let mut seen = Vec::new();
    for name in [
        "toxiproxy_proxy_received_bytes_total",
        "toxiproxy_proxy_sent_bytes_total",
    ] {
        for direction in ["upstream", "downstream"] {
            let dir = format!("direction=\"{direction}\"");
            let n = metric(&agent, name, &[&listener, &dir]).await;
            assert!(n > 0.0, "{name} {direction}: {n}");
            seen.push(n);
        }
    }
    // Request bodies of 500 bytes went up three times, headers included.
    assert!(seen[0] >= 1500.0 && seen[2] >= 1500.0, "{seen:?}");
}

#[tokio::test]
async fn the_proxy_span_is_a_child_and_names_the_fault() {
    use opentelemetry_sdk::trace::{InMemorySpanExporterBuilder, SdkTracerProvider};
    let exporter = InMemorySpanExporterBuilder::new().build();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_tracer_provider(provider);

    let agent = agent();
    let base = http_proxy(&agent, "traced").await;
    let f = fault(
        &agent,
        "traced",
        json!({"type": "delay", "delay": {"distribution": "fixed", "ms": 1}}),
    )
    .await;
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let parent = "b7ad6b7169203331";
    let body = reqwest::Client::new()
        .get(format!("{base}/t"))
        .header("traceparent", format!("00-{trace_id}-{parent}-01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let forwarded = traceparent_context(body.strip_prefix("ok ").unwrap()).unwrap();

    let mut found = None;
    eventually("the proxy span is exported", Duration::from_secs(5), || {
        let spans = exporter.get_finished_spans().unwrap_or_default();
        found = spans.into_iter().find(|s| s.name == "proxy traced");
        let ok = found.is_some();
        async move { ok }
    })
    .await;
    let span = found.unwrap();
    assert_eq!(span.span_context.trace_id().to_string(), trace_id);
    assert_eq!(span.parent_span_id.to_string(), parent);
    assert_eq!(forwarded.trace_id().to_string(), trace_id);
    assert_eq!(
        forwarded.span_id(),
        span.span_context.span_id(),
        "upstream's parent is the proxy span"
    );
    let event = span
        .events
        .events
        .iter()
        .find(|e| e.name == "chaos.fault")
        .expect("a fault event");
    let attr = |k: &str| {
        event
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(
        attr(chaoslab_kit::names::span::FAULT_KIND).as_deref(),
        Some("http_delay")
    );
    assert_eq!(
        attr(chaoslab_kit::names::span::FAULT_ID).as_deref(),
        f["id"].as_str()
    );
}
