//! `/admin/faults` on the Python and Node.js services, against the Rust side.

use super::*;

for_both!(
    bad_faults_are_refused_as_the_rust_services_refuse_them,
    an_error_rate_fault_fails_about_its_rate_and_ends_by_itself,
    a_latency_fault_slows_requests_and_ends_by_itself,
    slow_storage_and_cpu_burn_act_while_they_last,
);

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
    r#"{"kind": "duplicate_delivery", "rate": 2}"#,
    r#"{"kind": "duplicate_delivery"}"#,
    r#"{"kind": "duplicate_delivery", "rate": 0.5, "subject": 1}"#,
    // Consumer kinds, well formed, on a service that consumes no events.
    r#"{"kind": "duplicate_delivery", "rate": 0.5}"#,
    r#"{"kind": "poison_message"}"#,
    r#"{"kind": "poison_message", "count": 0}"#,
    r#"{"kind": "poison_message", "count": -1, "subject": "order.placed"}"#,
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
    eventually("the fault expires", Duration::from_secs(15), || async {
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

    eventually("the fault expires", Duration::from_secs(15), || async {
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

/// CPU seconds `pid` has used (user + system).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // /proc counts in USER_HZ, which Linux fixes at 100 for user space.
    ticks / 100.0
}

async fn slow_storage_and_cpu_burn_act_while_they_last(p: Polyglot) {
    let Some(svc) = p.start(NO_SPANS).await else {
        return;
    };
    // Every business request of both services reads its (simulated) storage.
    let (status, view) = post_fault(
        &svc,
        r#"{"kind": "slow_storage", "latency_ms": 400, "duration_ms": 1500}"#,
    )
    .await;
    assert_eq!(status, 201, "{view}");
    let started = Instant::now();
    assert_eq!(business(&svc, p, None).await.0, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    let text = metrics_text(&svc).await;
    assert_eq!(
        sample(&text, "chaos_injections_total", &[("kind", "slow_storage")]),
        Some(1.0)
    );

    let pid = svc.child.id();
    let before = cpu_seconds(pid);
    let (status, view) = post_fault(
        &svc,
        r#"{"kind": "cpu_burn", "threads": 1, "percent": 50, "duration_ms": 1000}"#,
    )
    .await;
    assert_eq!(status, 201, "{view}");
    eventually("both faults expire", Duration::from_secs(10), || async {
        faults(&svc).await.is_empty().then_some(())
    })
    .await;
    let burnt = cpu_seconds(pid) - before;
    // Half of one core for a second, less what a busy machine takes from it.
    assert!(
        burnt >= 0.2,
        "only {burnt:.2} CPU seconds during a 1 s burn at 50%"
    );
    let started = Instant::now();
    assert_eq!(business(&svc, p, None).await.0, 200);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "storage is fast again"
    );
    // Over a half second from now on, the process uses little CPU.
    let mut since = (Instant::now(), cpu_seconds(pid));
    eventually("the burn has stopped", Duration::from_secs(5), || {
        let window = since.0.elapsed().as_secs_f64();
        let done = window >= 0.5 && (cpu_seconds(pid) - since.1) / window < 0.2;
        if window >= 0.5 {
            since = (Instant::now(), cpu_seconds(pid));
        }
        async move { done.then_some(()) }
    })
    .await;
}
