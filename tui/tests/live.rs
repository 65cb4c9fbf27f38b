//! Against the real hub and the real chaos agent on ephemeral ports: the
//! snapshot shows what the hub scraped and stored, faults added through the
//! dashboard's agent calls appear and go away, the interactive loop obeys
//! keys, and an unreachable hub is said so.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use chaoslab_chaos::{Agent, AgentConfig};
use chaoslab_contract::client::AgentClient;
use chaoslab_contract::wire::agent::{ProxySpec, ToxicSpec};
use chaoslab_hub::{Hub, HubConfig, Target};
use chaoslab_tui::agent::{Agent as DashAgent, AgentCall, toggle_policy};
use chaoslab_tui::fixtures::SERVICES;
use chaoslab_tui::{TuiConfig, app, snapshot};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::eventually;
use tokio::net::TcpListener;
use tokio::sync::watch;

const DEADLINE: Duration = Duration::from_secs(15);

/// The lab: a hub scraping six fake-but-real `/metrics` pages, an agent
/// with a `echo` proxy, and the stop switch.
struct Lab {
    hub_url: String,
    agent_url: String,
    hub: Arc<Hub>,
    _stop: watch::Sender<bool>,
}

fn stopper(rx: &watch::Receiver<bool>) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut rx = rx.clone();
    async move {
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// A metrics page for `service`: requests counted up on every scrape, and
/// for delta an open breaker on echo.
async fn metrics_page(State(n): State<Arc<AtomicU64>>, Path(service): Path<String>) -> String {
    let count = n.fetch_add(10, Ordering::Relaxed) + 10;
    let labels = format!(
        "service=\"{service}\",http_request_method=\"GET\",http_route=\"/x\",http_response_status_code=\"200\""
    );
    let mut page = format!(
        "# TYPE http_server_request_duration_seconds histogram\n\
         http_server_request_duration_seconds_bucket{{{labels},le=\"0.01\"}} {count}\n\
         http_server_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\n\
         http_server_request_duration_seconds_sum{{{labels}}} {}\n\
         http_server_request_duration_seconds_count{{{labels}}} {count}\n",
        count as f64 * 0.005
    );
    if service == "delta" {
        page.push_str(
            "# TYPE resilience_circuit_state gauge\n\
             resilience_circuit_state{service=\"delta\",dependency=\"echo\"} 2\n",
        );
    }
    page
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    }
}

/// A checkout trace: bravo root, delta child with a `chaos.fault` event.
fn checkout_export(
    service: &str,
    span_id: u64,
    parent: u64,
    name: &str,
    fault: bool,
) -> ExportTraceServiceRequest {
    let base = 1_795_000_000_000_000_000u64 + span_id * 1_000_000;
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", service)],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: 0x4bf92f3577b34da6a3ce929d0e0e4736u128
                        .to_be_bytes()
                        .to_vec(),
                    span_id: span_id.to_be_bytes().to_vec(),
                    parent_span_id: if parent == 0 {
                        Vec::new()
                    } else {
                        parent.to_be_bytes().to_vec()
                    },
                    name: name.into(),
                    kind: 2,
                    start_time_unix_nano: base,
                    end_time_unix_nano: base + 300_000_000 / span_id,
                    events: if fault {
                        vec![span::Event {
                            name: "chaos.fault".into(),
                            time_unix_nano: base,
                            ..Default::default()
                        }]
                    } else {
                        Vec::new()
                    },
                    status: Some(Status {
                        code: 0,
                        message: String::new(),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

async fn start_lab() -> Lab {
    let (stop, rx) = watch::channel(false);
    // Six /metrics pages on one server.
    let pages = Router::new()
        .route("/{service}/metrics", get(metrics_page))
        .with_state(Arc::new(AtomicU64::new(0)));
    let pages_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let pages_addr = pages_l.local_addr().unwrap();
    tokio::spawn(
        axum::serve(pages_l, pages)
            .with_graceful_shutdown(stopper(&rx))
            .into_future(),
    );
    // The agent, with a echo proxy.
    let agent = Agent::new(AgentConfig::default(), None);
    let agent_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let agent_url = format!("http://{}", agent_l.local_addr().unwrap());
    tokio::spawn(
        axum::serve(agent_l, agent.router())
            .with_graceful_shutdown(stopper(&rx))
            .into_future(),
    );
    let client = AgentClient::new(&agent_url);
    for name in ["foxtrot", "alpha", "charlie", "delta", "echo"] {
        client
            .create_proxy(&ProxySpec::new(name, "127.0.0.1:0", pages_addr.to_string()))
            .await
            .expect("create a proxy");
    }
    // The hub, scraping the pages, asking the agent about faults.
    let cfg = HubConfig {
        agent_url: Some(agent_url.clone()),
        ..HubConfig::default()
    };
    let hub = Hub::new(cfg);
    hub.set_targets(
        SERVICES
            .iter()
            .map(|s| Target {
                name: s.to_string(),
                url: format!("http://{pages_addr}/{s}/metrics"),
            })
            .collect(),
    );
    let hub_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hub_url = format!("http://{}", hub_l.local_addr().unwrap());
    tokio::spawn(chaoslab_hub::serve_api(hub_l, hub.clone(), stopper(&rx)));
    tokio::spawn(chaoslab_hub::run_scraper(hub.clone(), stopper(&rx)));
    Lab {
        hub_url,
        agent_url,
        hub,
        _stop: stop,
    }
}

fn cfg(lab: &Lab) -> TuiConfig {
    TuiConfig {
        hub_url: lab.hub_url.clone(),
        agent_url: Some(lab.agent_url.clone()),
        services: Vec::new(),
        loadgen_url: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_of_a_real_hub_shows_services_breaker_and_trace() {
    let lab = start_lab().await;
    lab.hub
        .ingest_traces(checkout_export("bravo", 1, 0, "POST /api/checkout", false));
    lab.hub
        .ingest_traces(checkout_export("delta", 2, 1, "POST echo", true));
    let overview = eventually(
        "six services with numbers on the overview",
        DEADLINE,
        || async {
            let text = snapshot(cfg(&lab), "overview", 120, 40).await.unwrap();
            let all = SERVICES.iter().all(|s| text.matches(s).count() >= 2);
            (all && text.contains("hub up") && !text.contains("0.0     0.0%")).then_some(text)
        },
    )
    .await;
    assert!(!overview.contains("hub unreachable"), "{overview}");
    let service = snapshot(cfg(&lab), "service", 120, 40).await.unwrap();
    assert!(service.contains("GET /x"), "{service}");
    // The breaker the delta page reports open is listed on the Chaos screen.
    let chaos = snapshot(cfg(&lab), "chaos", 120, 40).await.unwrap();
    let line = chaos
        .lines()
        .find(|l| l.contains("delta → echo"))
        .unwrap_or_else(|| panic!("{chaos}"));
    assert!(line.contains("OPEN"), "{chaos}");
    let traces = snapshot(cfg(&lab), "traces", 120, 40).await.unwrap();
    assert!(traces.contains("bravo: POST /api/checkout"), "{traces}");
    assert!(traces.contains("▲ delta: POST echo"), "{traces}");
    assert!(traces.contains("FAULT"), "{traces}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_added_through_the_agent_show_with_a_countdown_and_go_away() {
    let lab = start_lab().await;
    let agent = DashAgent::new(Some(&lab.agent_url));
    let mut picker = chaoslab_tui::picker::FaultPicker::new(
        vec!["echo".into()],
        SERVICES.iter().map(|s| s.to_string()).collect(),
    );
    picker.field = chaoslab_tui::picker::PickerField::Param;
    picker.change(1); // 300 ms
    agent
        .send(&picker.request().unwrap())
        .await
        .expect("add latency");
    let faults = agent.faults().await.unwrap();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(
        (faults[0].kind.as_str(), faults[0].target.as_str()),
        ("latency", "echo")
    );
    let left = faults[0].remaining_ms.expect("a timed fault");
    assert!(left <= 30_000 && left > 20_000, "{left}");
    let chaos = eventually("the fault on the chaos screen", DEADLINE, || async {
        let text = snapshot(cfg(&lab), "chaos", 120, 40).await.unwrap();
        text.contains("latency=300").then_some(text)
    })
    .await;
    assert!(
        chaos.contains("echo")
            && (chaos.contains("29s") || chaos.contains("30s") || chaos.contains("28s")),
        "{chaos}"
    );
    agent.remove(&faults[0].id).await.unwrap();
    assert!(agent.faults().await.unwrap().is_empty());
    agent.send(&picker.request().unwrap()).await.unwrap();
    agent.clear_all().await.unwrap();
    assert!(agent.faults().await.unwrap().is_empty());
    // A bad request comes back with the agent's error text.
    let err = agent
        .send(&AgentCall::Toxic {
            proxy: "nope".into(),
            spec: ToxicSpec::new("latency", serde_json::json!({})),
            duration: Some(std::time::Duration::from_secs(5)),
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("proxy not found (HTTP 404)"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interactive_loop_adds_a_fault_from_keys_and_quits() {
    let lab = start_lab().await;
    let (keys, rx) = tokio::sync::mpsc::channel(16);
    let cfg = cfg(&lab);
    let task = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        app::run_loop(&mut terminal, &cfg, rx, std::future::pending())
            .await
            .map(|_| terminal)
    });
    let key = |c: KeyCode| Event::Key(KeyEvent::new(c, KeyModifiers::NONE));
    // f opens the picker on the selected service's proxy; Enter adds a
    // 100 ms latency for 30 s. The picker's targets are the services the
    // hub discovered, so until the first poll has answered there is
    // nothing to pick: a person would look and try again, and so does this.
    let agent = DashAgent::new(Some(&lab.agent_url));
    eventually("the fault the keys asked for", DEADLINE, || async {
        let f = agent.faults().await.ok()?;
        if f.iter()
            .any(|f| f.kind == "latency" && f.detail.contains("latency=100"))
        {
            return Some(());
        }
        for k in [KeyCode::Esc, KeyCode::Char('f'), KeyCode::Enter] {
            keys.send(key(k)).await.unwrap();
        }
        None
    })
    .await;
    keys.send(key(KeyCode::Char('x'))).await.unwrap();
    eventually("faults cleared by x", DEADLINE, || async {
        agent.faults().await.ok()?.is_empty().then_some(())
    })
    .await;
    keys.send(key(KeyCode::Char('q'))).await.unwrap();
    let terminal = tokio::time::timeout(DEADLINE, task)
        .await
        .expect("loop ends on q")
        .unwrap()
        .unwrap();
    let text = chaoslab_tui::buffer_to_string(terminal.backend().buffer());
    assert!(text.contains("4 Chaos"), "{text}");
}

#[tokio::test]
async fn snapshot_says_when_the_hub_is_unreachable() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let cfg = TuiConfig {
        hub_url: url.clone(),
        agent_url: None,
        services: Vec::new(),
        loadgen_url: None,
    };
    let text = snapshot(cfg, "overview", 80, 24).await.unwrap();
    assert!(text.contains("hub unreachable"), "{text}");
    assert!(text.contains(&url), "{text}");
    assert!(text.contains("q quit"), "{text}");
}

#[tokio::test]
async fn snapshot_rejects_an_unknown_screen_and_a_tiny_size() {
    let cfg = TuiConfig {
        hub_url: "http://127.0.0.1:9".into(),
        agent_url: None,
        services: Vec::new(),
        loadgen_url: None,
    };
    let e = snapshot(cfg.clone(), "dashboard", 80, 24)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("unknown screen"), "{e}");
    assert!(snapshot(cfg, "1", 10, 2).await.is_err());
}

#[tokio::test]
async fn a_policy_toggle_flips_the_real_admin_api() {
    use chaoslab_kit::context::{ServiceCtx, ServiceSettings};
    use chaoslab_resilience::{Policy, Registry};
    let deps = Arc::new(Registry::with_defaults(Policy::default(), ["echo"]).unwrap());
    let ctx = ServiceCtx::new("delta", deps.clone(), ServiceSettings::default());
    let admin = format!(
        "http://{}",
        chaoslab_testkit::serve(chaoslab_kit::admin::router(ctx)).await
    );
    let before = deps.get("echo").unwrap().status().policy.breaker.enabled;
    let now = toggle_policy("delta", &admin, "echo", "breaker")
        .await
        .unwrap();
    assert_eq!(now, !before);
    assert_eq!(
        deps.get("echo").unwrap().status().policy.breaker.enabled,
        !before
    );
    assert_eq!(
        toggle_policy("delta", &admin, "echo", "breaker")
            .await
            .unwrap(),
        before
    );
    let err = toggle_policy("delta", &admin, "nope", "breaker")
        .await
        .unwrap_err();
    // The admin API's own words: which dependency, and which it has.
    assert!(err.to_string().contains("unknown dependency"), "{err}");
    assert!(
        err.to_string().contains("has no dependency \"nope\""),
        "{err}"
    );
    assert!(err.to_string().contains("(HTTP 404)"), "{err}");
}
