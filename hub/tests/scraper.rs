//! The scraper against real HTTP servers serving the Prometheus text format:
//! counters and histograms that grow at known rates with a known latency
//! shape, so that rate, error ratio and percentiles per service, route and
//! edge can be checked against hand-computed values; plus resilience, load,
//! faults, node health, the metric query, counter resets and target changes.

mod support;

use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use chaoslab_contract::client::MetricQuery;
use chaoslab_contract::wire::hub::{Aggregation, CircuitState, Health, Target};
use chaoslab_hub::{HubConfig, now_ms};
use support::{TestHub, eventually};
use tokio::net::TcpListener;

/// Cumulative bucket counts per second of one histogram series, by `le`.
type Shape = &'static [(&'static str, f64)];

/// Writes `_bucket`, `_sum` and `_count` lines for a series growing at
/// `shape` per second, `t` seconds after start.
fn hist(out: &mut String, name: &str, labels: &str, shape: Shape, t: f64) {
    for (le, per_sec) in shape {
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {}", per_sec * t);
    }
    let total = shape.last().unwrap().1;
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", total * t * 0.1);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", total * t);
}

const PRODUCTS_OK: Shape = &[
    ("0.005", 0.0),
    ("0.01", 10.0),
    ("0.025", 20.0),
    ("0.05", 30.0),
    ("0.075", 36.0),
    ("0.1", 38.0),
    ("0.25", 40.0),
    ("0.5", 40.0),
    ("+Inf", 40.0),
];
const PRODUCTS_500: Shape = &[
    ("0.005", 10.0),
    ("0.01", 10.0),
    ("0.025", 10.0),
    ("0.05", 10.0),
    ("0.075", 10.0),
    ("0.1", 10.0),
    ("0.25", 10.0),
    ("0.5", 10.0),
    ("+Inf", 10.0),
];
const CART_OK: Shape = &[
    ("0.005", 0.0),
    ("0.01", 0.0),
    ("0.025", 0.0),
    ("0.05", 0.0),
    ("0.075", 0.0),
    ("0.1", 0.0),
    ("0.25", 25.0),
    ("0.5", 50.0),
    ("+Inf", 50.0),
];
const USERS_OK: Shape = &[
    ("0.01", 5.0),
    ("0.025", 15.0),
    ("0.75", 15.0),
    ("1", 15.0),
    ("+Inf", 15.0),
];
const USERS_503: Shape = &[
    ("0.01", 0.0),
    ("0.025", 0.0),
    ("0.75", 0.0),
    ("1", 5.0),
    ("+Inf", 5.0),
];
const CATALOG_OK: Shape = &[("0.01", 10.0), ("+Inf", 10.0)];
const PAYMENTS_OK: Shape = &[("0.05", 2.0), ("+Inf", 2.0)];
const BROWSE: Shape = &[("0.1", 20.0), ("0.5", 36.0), ("1", 40.0), ("+Inf", 40.0)];

fn gateway_page(t: f64) -> String {
    let mut s = String::from("# TYPE http_server_request_duration_seconds histogram\n");
    let srv = "http_server_request_duration_seconds";
    let base = r#"service="gateway",http_request_method="GET",http_route="/api/products/{id}""#;
    hist(
        &mut s,
        srv,
        &format!(r#"{base},http_response_status_code="200""#),
        PRODUCTS_OK,
        t,
    );
    hist(
        &mut s,
        srv,
        &format!(r#"{base},http_response_status_code="500",error_type="500""#),
        PRODUCTS_500,
        t,
    );
    let cart = r#"service="gateway",http_request_method="POST",http_route="/api/cart",http_response_status_code="200""#;
    hist(&mut s, srv, cart, CART_OK, t);
    let cli = "http_client_request_duration_seconds";
    hist(
        &mut s,
        cli,
        r#"service="gateway",server_address="users",http_response_status_code="200""#,
        USERS_OK,
        t,
    );
    hist(
        &mut s,
        cli,
        r#"service="gateway",server_address="users",http_response_status_code="503",error_type="503""#,
        USERS_503,
        t,
    );
    hist(
        &mut s,
        cli,
        r#"service="gateway",server_address="catalog",http_response_status_code="200""#,
        CATALOG_OK,
        t,
    );
    hist(
        &mut s,
        cli,
        r#"service="gateway",server_address="payments",http_response_status_code="200""#,
        PAYMENTS_OK,
        t,
    );
    let _ = writeln!(s, "# TYPE resilience_calls_total counter");
    for (outcome, rate) in [("success", 8.0), ("rejected_circuit_open", 2.0)] {
        let _ = writeln!(
            s,
            r#"resilience_calls_total{{service="gateway",dependency="users",outcome="{outcome}"}} {}"#,
            rate * t
        );
    }
    let _ = writeln!(
        s,
        r#"resilience_retries_total{{service="gateway",dependency="users"}} {}"#,
        t
    );
    let _ = writeln!(
        s,
        r#"resilience_circuit_state{{service="gateway",dependency="users"}} 2"#
    );
    let _ = writeln!(
        s,
        r#"resilience_bulkhead_in_flight{{service="gateway",dependency="users"}} 3"#
    );
    s
}

fn loadgen_page(t: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"loadgen_requests_total{{journey="browse",outcome="ok"}} {}"#,
        30.0 * t
    );
    let _ = writeln!(
        s,
        r#"loadgen_requests_total{{journey="browse",outcome="error"}} {}"#,
        10.0 * t
    );
    hist(
        &mut s,
        "loadgen_request_duration_seconds",
        r#"journey="browse""#,
        BROWSE,
        t,
    );
    s
}

fn agent_page() -> String {
    "chaos_faults_active{target=\"users\",kind=\"latency\"} 1\nchaos_faults_active{target=\"catalog\",kind=\"latency\"} 0\n".into()
}

/// Serves the three pages and the agent's fault list; `start` is the
/// counters' zero (moving it forward is a process restart).
async fn fake_lab(start: Arc<Mutex<Instant>>) -> String {
    let t = move || start.lock().unwrap().elapsed().as_secs_f64();
    let (t1, t2) = (t.clone(), t);
    let app = Router::new()
        .route(
            "/gateway/metrics",
            get(move || async move { gateway_page(t1()) }),
        )
        .route(
            "/loadgen/metrics",
            get(move || async move { loadgen_page(t2()) }),
        )
        .route("/agent/metrics", get(|| async { agent_page() }))
        .route(
            "/chaos/faults",
            get(|| async {
                axum::Json(serde_json::json!([
                    {"id": "f1", "source": "http", "kind": "abort", "target": "payments",
                     "detail": {"status": 503}}
                ]))
            }),
        );
    format!("http://{}", chaoslab_testkit::serve(app).await)
}

fn near(a: Option<f64>, b: f64, tol: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= tol)
}

fn within(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= b * rel
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraped_metrics_give_rates_errors_and_percentiles() {
    let start = Arc::new(Mutex::new(Instant::now()));
    let base = fake_lab(start.clone()).await;
    // a port nobody listens on
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let th = TestHub::start(
        HubConfig {
            scrape_interval: Duration::from_millis(100),
            scrape_timeout: Duration::from_millis(500),
            retention: Duration::from_secs(60),
            agent_url: Some(base.clone()),
            ..HubConfig::default()
        },
        true,
    )
    .await;
    let target = |name: &str, path: &str| Target {
        name: name.into(),
        url: format!("{base}{path}"),
    };
    th.hub.set_targets(vec![
        target("gateway", "/gateway/metrics"),
        target("loadgen", "/loadgen/metrics"),
        target("agent", "/agent/metrics"),
        Target {
            name: "inventory".into(),
            url: format!("http://{dead}/metrics"),
        },
    ]);
    let c = th.client();
    let http = reqwest::Client::new();
    let get_json = |path: &str| {
        let url = th.api_url(path);
        let http = http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };

    // Per service and per route.
    let services = eventually("gateway numbers", Duration::from_secs(10), || async {
        let v = get_json("/api/services?window=2s").await;
        let r: chaoslab_contract::wire::hub::ServicesResponse = serde_json::from_value(v).unwrap();
        let g = r.services.iter().find(|s| s.name == "gateway")?;
        (within(g.stats.rate, 100.0, 0.05) && near(g.stats.p99_ms, 490.0, 1e-6)).then_some(r)
    })
    .await;
    let g = services
        .services
        .iter()
        .find(|s| s.name == "gateway")
        .unwrap();
    assert!(near(Some(g.stats.error_ratio), 0.1, 1e-9), "{:?}", g.stats);
    // rank 50 of 100: 48 below 0.1 s, 27 in (0.1, 0.25] -> 0.1 + 0.15 * 2/27
    assert!(
        near(g.stats.p50_ms, (0.1 + 0.15 * 2.0 / 27.0) * 1000.0, 1e-6),
        "{:?}",
        g.stats
    );
    assert_eq!(g.health, Health::Degraded);
    let route = |r: &str| g.routes.iter().find(|x| x.route == r).unwrap();
    let products = route("/api/products/{id}");
    assert_eq!(products.method, "GET");
    assert!(within(products.stats.rate, 50.0, 0.05));
    assert!(near(Some(products.stats.error_ratio), 0.2, 1e-9));
    assert!(
        near(products.stats.p99_ms, 212.5, 1e-6),
        "{:?}",
        products.stats
    );
    assert!(
        near(products.stats.p50_ms, 17.5, 1e-6),
        "{:?}",
        products.stats
    );
    let cart = route("/api/cart");
    assert!(near(cart.stats.p99_ms, 495.0, 1e-6), "{:?}", cart.stats);
    assert_eq!(cart.stats.error_ratio, 0.0);
    let inv = services
        .services
        .iter()
        .find(|s| s.name == "inventory")
        .unwrap();
    assert_eq!(inv.health, Health::Down);

    // Per edge, with faults from the agent's metrics and its list.
    let edges = eventually("edges with faults", Duration::from_secs(10), || async {
        let e = c.edges().await.ok()?;
        e.edges
            .iter()
            .any(|x| x.to == "payments" && x.fault_active)
            .then_some(e)
    })
    .await;
    let edge = |to: &str| {
        edges
            .edges
            .iter()
            .find(|e| e.from == "gateway" && e.to == to)
            .unwrap()
    };
    let users = edge("users");
    assert!(within(users.stats.rate, 20.0, 0.1), "{:?}", users.stats);
    assert!(near(Some(users.stats.error_ratio), 0.25, 1e-9));
    assert!(near(users.stats.p99_ms, 990.0, 1e-6), "{:?}", users.stats);
    assert!(users.fault_active);
    assert_eq!(users.faults, vec!["latency"]);
    assert!(!edge("catalog").fault_active, "a zero gauge is no fault");
    assert_eq!(edge("payments").faults, vec!["abort"]);

    let topo = c.topology().await.unwrap();
    let node = |n: &str| topo.nodes.iter().find(|x| x.name == n).unwrap();
    assert_eq!(node("gateway").health, Health::Degraded);
    assert_eq!(node("inventory").health, Health::Down);
    assert_eq!(
        node("users").health,
        Health::Unknown,
        "no target scrapes users"
    );
    assert_eq!(topo.edges.len(), 3);

    // Resilience.
    let res = get_json("/api/resilience?window=2s").await;
    let res: chaoslab_contract::wire::hub::ResilienceResponse =
        serde_json::from_value(res).unwrap();
    let e = &res.entries[0];
    assert_eq!(
        (e.service.as_str(), e.dependency.as_str()),
        ("gateway", "users")
    );
    assert_eq!(e.circuit, CircuitState::Open);
    assert!(within(e.calls_rate["success"], 8.0, 0.1), "{e:?}");
    assert!(
        within(e.calls_rate["rejected_circuit_open"], 2.0, 0.1),
        "{e:?}"
    );
    assert!(within(e.retries_rate, 1.0, 0.1), "{e:?}");
    assert_eq!(e.bulkhead_in_flight, Some(3.0));

    // Load generator.
    let load = get_json("/api/load?window=2s").await;
    let load: chaoslab_contract::wire::hub::LoadResponse = serde_json::from_value(load).unwrap();
    let b = &load.journeys[0];
    assert_eq!(b.journey, "browse");
    assert!(within(b.stats.rate, 40.0, 0.1), "{b:?}");
    assert!(near(Some(b.stats.error_ratio), 0.25, 1e-9));
    assert!(near(b.stats.p99_ms, 950.0, 1e-6), "{b:?}");
    assert!(near(b.stats.p50_ms, 100.0, 1e-6), "{b:?}");
    assert!(within(b.outcomes_rate["ok"], 30.0, 0.1));
    assert_eq!(load.total.error_ratio, b.stats.error_ratio);

    // Faults, hub health.
    let f = c.faults().await.unwrap();
    assert_eq!(f.faults[0].id, "f1");
    assert_eq!(f.note, None);
    let h = c.health().await.unwrap();
    let st = |n: &str| h.targets.iter().find(|t| t.name == n).unwrap();
    assert_eq!(st("gateway").up, Some(true));
    assert!(st("gateway").samples > 50);
    assert_eq!(st("inventory").up, Some(false));
    assert!(
        st("inventory")
            .last_error
            .as_deref()
            .unwrap()
            .contains("request failed")
    );
    assert!(h.series_stored > 50);

    // The metric query.
    let q = MetricQuery::new("resilience_calls_total", Aggregation::Rate)
        .label("dependency", "users")
        .label("outcome", "success");
    let q = MetricQuery {
        window: Some(Duration::from_secs(2)),
        ..q
    };
    let v = c.metric(&q).await.unwrap();
    assert_eq!(v.series_matched, 1);
    assert!(within(v.value.unwrap(), 8.0, 0.1), "{v:?}");
    let v = c
        .metric(&MetricQuery::new(
            "resilience_circuit_state",
            Aggregation::Max,
        ))
        .await
        .unwrap();
    assert_eq!(v.value, Some(2.0));
    let v = c
        .metric(
            &MetricQuery::new(
                "http_server_request_duration_seconds_count",
                Aggregation::Sum,
            )
            .label("http_route", "/api/products/{id}"),
        )
        .await
        .unwrap();
    assert_eq!(v.series_matched, 2);
    let v = c
        .metric(&MetricQuery::new("no_such_metric", Aggregation::Avg))
        .await
        .unwrap();
    assert_eq!((v.value, v.series_matched), (None, 0));

    // Time series for one service.
    let s = get_json("/api/services/gateway?range=2s&step=500ms").await;
    let s: chaoslab_contract::wire::hub::ServiceStats = serde_json::from_value(s).unwrap();
    let series = s.series.unwrap();
    assert_eq!(series.points.len(), 4);
    assert_eq!(series.step_s, 0.5);
    assert!(
        near(series.points[3].stats.p99_ms, 490.0, 1e-6),
        "{:?}",
        series.points[3]
    );
    assert_eq!(series.routes.len(), 2);
    assert!(series.routes.iter().all(|r| r.points.len() == 4));

    // A restart of the process (counters back to zero) keeps the rate. Let
    // 2.5 s of traffic build up first, so that the counts lost between the
    // last scrape before the restart and the restart itself (as Prometheus
    // loses them) are a small part of the window.
    let cart = MetricQuery::new(
        "http_server_request_duration_seconds_count",
        Aggregation::Max,
    )
    .label("http_route", "/api/cart");
    eventually("2.5 s of traffic", Duration::from_secs(10), || async {
        (c.metric(&cart).await.ok()?.value? >= 125.0).then_some(())
    })
    .await;
    let reset_at = now_ms();
    *start.lock().unwrap() = Instant::now();
    eventually(
        "scrapes 0.5 s after the reset",
        Duration::from_secs(10),
        || async {
            let h = c.health().await.ok()?;
            let t = h.targets.iter().find(|t| t.name == "gateway")?;
            (t.last_scrape_unix_ms? > reset_at + 500).then_some(())
        },
    )
    .await;
    assert!(
        c.metric(&cart).await.unwrap().value.unwrap() < 100.0,
        "the counters restarted"
    );
    let v = get_json("/api/services?window=4s").await;
    let r: chaoslab_contract::wire::hub::ServicesResponse = serde_json::from_value(v).unwrap();
    let g = r.services.iter().find(|s| s.name == "gateway").unwrap();
    // Without reset handling the drop would cancel most of the growth.
    assert!(
        within(g.stats.rate, 100.0, 0.15),
        "rate across the reset: {}",
        g.stats.rate
    );
    assert!(near(g.stats.p99_ms, 490.0, 1e-6), "{:?}", g.stats);

    // Targets change at runtime: dropping the gateway drops its series.
    th.hub
        .set_targets(vec![target("loadgen", "/loadgen/metrics")]);
    let e = c.edges().await.unwrap();
    assert!(e.edges.is_empty(), "{e:?}");
    assert_eq!(c.health().await.unwrap().targets.len(), 1);
}

#[test]
fn the_prometheus_exporter_output_parses_into_the_same_quantiles() {
    use chaoslab_hub::metrics::exposition;
    use chaoslab_hub::metrics::quantile::{Bucket, histogram_quantile};
    use metrics_exporter_prometheus::PrometheusBuilder;

    let recorder = PrometheusBuilder::new()
        .set_buckets(&chaoslab_kit::names::HTTP_DURATION_BUCKETS)
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        let h = metrics::histogram!(
            "http_server_request_duration_seconds",
            "service" => "catalog",
            "http_route" => "/api/products/{id}",
            "note" => "quote \" and backslash \\"
        );
        for _ in 0..90 {
            h.record(0.02);
        }
        for _ in 0..10 {
            h.record(0.3);
        }
    });
    let text = handle.render();
    let samples = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let buckets: Vec<Bucket> = samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_bucket")
        .map(|s| {
            let route = s.labels.iter().find(|(k, _)| k == "http_route").unwrap();
            assert_eq!(route.1, "/api/products/{id}");
            let le = &s.labels.iter().find(|(k, _)| k == "le").unwrap().1;
            Bucket {
                le: exposition::parse_value(le).unwrap(),
                count: s.value,
            }
        })
        .collect();
    assert_eq!(buckets.len(), 15, "{text}");
    // rank 99: 90 below 0.25, 10 in (0.25, 0.5] -> 0.25 + 0.25 * 9/10
    let p99 = histogram_quantile(0.99, &buckets).unwrap();
    assert!((p99 - 0.475).abs() < 1e-9, "{p99}");
    let count = samples
        .iter()
        .find(|s| s.name == "http_server_request_duration_seconds_count")
        .unwrap();
    assert_eq!(count.value, 100.0);
}
