//! The query API's contract: listings filter as asked, bad parameters give
//! 400 naming the parameter, unknown things give 404, all as JSON; the
//! typed client maps both.

mod support;

use std::time::Duration;

use chaoslab_contract::client::ClientError;
use chaoslab_contract::client::{MetricQuery, TraceQuery};
use chaoslab_contract::wire::hub::Aggregation;
use chaoslab_hub::HubConfig;
use support::{S, TestHub, export};

async fn hub_with_traces() -> TestHub {
    let th = TestHub::start(HubConfig::default(), false).await;
    let h = &th.hub;
    // 1: gateway -> users, 30 ms, fine
    h.ingest_traces(export("gateway", &[S::new(1, 1, 0, 0, 30)]));
    h.ingest_traces(export("users", &[S::new(1, 2, 1, 5, 10)]));
    // 2: gateway only, 500 ms, error
    h.ingest_traces(export(
        "gateway",
        &[S {
            error: true,
            ..S::new(2, 3, 0, 100, 500)
        }],
    ));
    // 3: orders -> payments, 80 ms, fault event on payments
    h.ingest_traces(export("orders", &[S::new(3, 4, 0, 200, 80)]));
    h.ingest_traces(export(
        "payments",
        &[S {
            fault_event: true,
            ..S::new(3, 5, 4, 210, 50)
        }],
    ));
    th
}

#[tokio::test]
async fn trace_listing_filters() {
    let th = hub_with_traces().await;
    let c = th.client();
    let ids = |q: TraceQuery| {
        let c = c.clone();
        async move {
            let r = c.traces(&q).await.unwrap();
            let ids: Vec<String> = r
                .traces
                .iter()
                .map(|t| t.trace_id[30..].to_string())
                .collect();
            (r.matched, ids)
        }
    };
    // newest start first
    assert_eq!(
        ids(TraceQuery::default()).await,
        (3, vec!["03".into(), "02".into(), "01".into()])
    );
    let by_service = TraceQuery {
        service: Some("users".into()),
        ..Default::default()
    };
    assert_eq!(ids(by_service).await, (1, vec!["01".into()]));
    let errors = TraceQuery {
        errors_only: true,
        ..Default::default()
    };
    assert_eq!(ids(errors).await, (1, vec!["02".into()]));
    let slow = TraceQuery {
        min_duration_ms: Some(80.0),
        ..Default::default()
    };
    assert_eq!(ids(slow).await, (2, vec!["03".into(), "02".into()]));
    let faults = TraceQuery {
        faults_only: true,
        ..Default::default()
    };
    assert_eq!(ids(faults).await, (1, vec!["03".into()]));
    let limited = TraceQuery {
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(ids(limited).await, (3, vec!["03".into()]));

    let t = c.traces(&TraceQuery::default()).await.unwrap();
    let three = &t.traces[0];
    assert_eq!(
        (three.root_service.as_str(), three.root_name.as_str()),
        ("orders", "op")
    );
    assert_eq!(three.services, vec!["orders", "payments"]);
    assert_eq!(three.duration_ms, 80.0);
    assert!(three.has_fault && !three.has_error);
}

#[tokio::test]
async fn bad_parameters_are_400_with_the_parameter_named() {
    let th = hub_with_traces().await;
    let http = reqwest::Client::new();
    let cases = [
        ("/api/traces?limit=abc", "limit"),
        ("/api/traces?limit=0", "limit"),
        ("/api/traces?status=broken", "status"),
        ("/api/traces?min_duration_ms=-3", "min_duration_ms"),
        ("/api/traces?fault=maybe", "fault"),
        ("/api/traces/not-hex", "trace_id"),
        ("/api/metric", "name"),
        ("/api/metric?name=a+b", "name"),
        ("/api/metric?name=x&agg=median", "agg"),
        ("/api/metric?name=x&labels=novalue", "labels"),
        ("/api/metric?name=x&window=abc", "window"),
        ("/api/metric?name=x&window=1h", "window"),
        ("/api/topology?window=0s", "window"),
        ("/api/services?series=1&step=10s&range=5s", "step"),
        ("/api/services?series=1&step=100ms&range=15m", "step"),
        ("/api/services?series=2", "series"),
    ];
    for (path, param) in cases {
        let r = http.get(th.api_url(path)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let v: serde_json::Value = r.json().await.unwrap();
        let msg = v["error"].as_str().unwrap_or_else(|| panic!("{path}: {v}"));
        assert!(msg.contains(&format!("`{param}`")), "{path}: {msg}");
    }
}

#[tokio::test]
async fn unknown_things_are_404() {
    let th = hub_with_traces().await;
    let c = th.client();
    let unknown = "0123456789abcdef0123456789abcdef";
    match c.trace(unknown).await {
        Err(e @ ClientError::Api { status: 404, .. }) => {
            assert!(e.message().contains(unknown), "{e}")
        }
        other => panic!("expected 404, got {other:?}"),
    }
    assert!(c.service("nobody").await.unwrap_err().is_not_found());
    let r = reqwest::get(th.api_url("/api/nothing")).await.unwrap();
    assert_eq!(r.status(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["error"].is_string());
    // the client reports a 400 with the hub's message
    let q = MetricQuery {
        window: Some(Duration::from_millis(1)),
        ..MetricQuery::new("x", Aggregation::Sum)
    };
    match c.metric(&q).await {
        Err(e @ ClientError::Api { status: 400, .. }) => {
            // The error names the call and quotes the hub's message.
            assert!(e.message().contains("`window`"), "{e}");
            assert!(e.to_string().contains("GET http://"), "{e}");
            assert!(e.to_string().contains("/api/metric?name=x"), "{e}");
        }
        other => panic!("expected 400, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_hub_answers_every_route() {
    let th = TestHub::start(HubConfig::default(), false).await;
    let c = th.client();
    assert!(c.topology().await.unwrap().nodes.is_empty());
    assert!(c.services(true).await.unwrap().services.is_empty());
    assert!(c.edges().await.unwrap().edges.is_empty());
    assert!(c.resilience().await.unwrap().entries.is_empty());
    assert!(c.load().await.unwrap().journeys.is_empty());
    let f = c.faults().await.unwrap();
    assert!(f.faults.is_empty());
    assert!(f.note.unwrap().contains("no agent"));
    let h = c.health().await.unwrap();
    assert_eq!((h.spans_stored, h.span_budget), (0, 100_000));
    let m = reqwest::get(th.api_url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("hub_spans_received_total 0"), "{m}");
}

/// Ingest, scraping and queries at once: the hub scrapes its own `/metrics`
/// while two senders flood it over gRPC and a reader lists traces; nothing
/// blocks, and the scraped counter ends at the number of spans sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_scrape_and_queries_together() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let th = TestHub::start(
        HubConfig {
            scrape_interval: Duration::from_millis(50),
            scrape_timeout: Duration::from_millis(500),
            span_budget: 2_000,
            ..HubConfig::default()
        },
        true,
    )
    .await;
    th.hub.set_targets(vec![chaoslab_hub::Target {
        name: "hub".into(),
        url: th.api_url("/metrics"),
    }]);
    let mut senders = Vec::new();
    for sender in 0..2u128 {
        let addr = th.grpc;
        senders.push(tokio::spawn(async move {
            let mut g = TraceServiceClient::connect(format!("http://{addr}"))
                .await
                .unwrap();
            for round in 0..20u128 {
                let spans: Vec<S> = (0..200u64)
                    .map(|i| {
                        S::new(
                            (sender << 64) | (round << 32) | ((i / 4) as u128 + 1),
                            i + 1,
                            0,
                            i,
                            1,
                        )
                    })
                    .collect();
                g.export(export("flood", &spans)).await.unwrap();
            }
        }));
    }
    let c = th.client();
    let reader = {
        let c = c.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                let t = c
                    .traces(&TraceQuery {
                        limit: Some(20),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                assert!(t.traces.len() <= 20);
                assert!(c.health().await.unwrap().spans_stored <= 2_000);
            }
        })
    };
    for s in senders {
        s.await.unwrap();
    }
    reader.await.unwrap();
    let q = MetricQuery::new("hub_spans_received_total", Aggregation::Max);
    support::eventually(
        "the scraped span counter",
        Duration::from_secs(10),
        || async { (c.metric(&q).await.ok()?.value? == 8_000.0).then_some(()) },
    )
    .await;
    let h = c.health().await.unwrap();
    assert_eq!(
        (h.spans_received, h.spans_stored, h.spans_evicted),
        (8_000, 2_000, 6_000)
    );
    assert_eq!(h.targets[0].up, Some(true));
}
