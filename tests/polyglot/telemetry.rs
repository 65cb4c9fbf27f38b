//! `/metrics` and spans of the Python and Node.js services.

use super::*;

for_both!(
    metrics_pass_the_lab_check,
    spans_reach_the_hub_and_continue_the_callers_trace,
);

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

/// The Rust side, which the two follow: a service's server span reaches the
/// hub over either OTLP transport, in the caller's trace, with the fault
/// event of an in-service fault that hit it.
#[tokio::test(flavor = "multi_thread")]
async fn a_rust_services_spans_reach_the_hub_over_either_protocol() {
    let (_hub, api, grpc, http) = start_hub().await;
    let client = HubClient::new(&api).unwrap();
    for (protocol, endpoint) in [("grpc", &grpc), ("http/protobuf", &http)] {
        let env = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ];
        let svc = start_rust_with("inventory", &env).await;
        let fault = r#"{"kind": "error_rate", "rate": 1, "status": 503, "route": "/stock/{id}", "duration_ms": 30000}"#;
        let (status, view) = post_fault(&svc, fault).await;
        assert_eq!(status, 201, "{view}");
        let (trace, parent) = ids();
        let r = svc
            .http
            .get(format!("{}/stock/1", svc.url))
            .header("traceparent", format!("00-{trace}-{parent}-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        let span = eventually(
            &format!("inventory's span over {protocol}"),
            Duration::from_secs(10),
            || async {
                let detail = client.trace(&trace).await.ok()?;
                detail.spans.into_iter().find(|s| {
                    s.service == "inventory" && s.parent_span_id.as_deref() == Some(parent.as_str())
                })
            },
        )
        .await;
        assert_eq!(
            (span.kind, span.name.as_str()),
            (SpanKind::Server, "GET /stock/{id}"),
            "{span:?}"
        );
        assert_eq!(
            span.attributes.get("http.route"),
            Some(&json!("/stock/{id}"))
        );
        assert_eq!(
            span.attributes.get("http.request.method"),
            Some(&json!("GET"))
        );
        assert_eq!(
            span.attributes.get("http.response.status_code"),
            Some(&json!(503))
        );
        assert_eq!(span.status, StatusCode::Error, "{span:?}");
        let event = span
            .events
            .iter()
            .find(|e| e.name == "chaos.fault")
            .unwrap_or_else(|| panic!("no chaos.fault event: {span:?}"));
        assert_eq!(event.attributes.get("fault.id"), Some(&view["id"]));
    }
}

/// `chaoslab hub` on free ports; (process, API URL, OTLP gRPC URL, OTLP HTTP URL).
async fn start_hub() -> (Service, String, String, String) {
    let (ports, [api, grpc, otlp_http]) = free_ports();
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
    let hub = Service::adopt("hub", child, &api_url, ports);
    eventually("the hub answers", Duration::from_secs(20), || async {
        hub.http
            .get(format!("{api_url}/api/health"))
            .send()
            .await
            .ok()
            .filter(|r| r.status() == 200)
            .map(|_| ())
    })
    .await;
    (
        hub,
        api_url,
        format!("http://127.0.0.1:{grpc}"),
        format!("http://127.0.0.1:{otlp_http}"),
    )
}

async fn spans_reach_the_hub_and_continue_the_callers_trace(p: Polyglot) {
    let (_hub, api, _, otlp_http) = start_hub().await;
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
        "the service's span in the hub",
        Duration::from_secs(10),
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
        "the faulted span in the hub",
        Duration::from_secs(10),
        || async {
            let detail = client.trace(&trace).await.ok()?;
            detail
                .spans
                .into_iter()
                .find(|s| s.service == p.name() && s.kind == SpanKind::Server)
        },
    )
    .await;
    let event = span
        .events
        .iter()
        .find(|e| e.name == "chaos.fault")
        .unwrap_or_else(|| panic!("no chaos.fault event: {span:?}"));
    assert_eq!(
        event.attributes.get("fault.kind"),
        Some(&json!("error_rate"))
    );
    assert_eq!(event.attributes.get("fault.id"), Some(&view["id"]));
    assert_eq!(event.attributes.get("fault.target"), Some(&json!(p.name())));
    assert_eq!(
        span.attributes.get("http.response.status_code"),
        Some(&json!(503))
    );

    // Health checks, scrapes and admin calls (this test made many) get no spans.
    let query = chaoslab_contract::client::TraceQuery {
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
