//! A believable lab, built from the hub's own types: six services with 15
//! minutes of series, calls between them (a latency fault on echo), an
//! open breaker on delta -> echo, load-generator numbers, traces with
//! an error and an injected fault. Used by the tests, the docs snapshots
//! and the render bench (`chaoslab bench tui`), so it ships; its service
//! names are neutral ones, never the shop's: the dashboard itself names no
//! service, it draws what the hub reports.

use std::collections::BTreeMap;

use chaoslab_contract::wire::hub::*;

use crate::action::{DataEvent, HubData};
use crate::agent::FaultRow;
use crate::state::AppState;
use crate::update;

mod traces;

pub use traces::{CHECKOUT_TRACE, big_trace, checkout_trace, traces};

/// The six services.
pub const SERVICES: [&str; 6] = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];

/// A fixed "now" so fixtures render the same every time.
pub const NOW_MS: u64 = 1_795_000_000_000;

fn red(rate: f64, err: f64, p50: f64) -> RedStats {
    RedStats {
        rate,
        error_ratio: err,
        p50_ms: Some(p50),
        p95_ms: Some(p50 * 3.0),
        p99_ms: Some(p50 * 6.0),
    }
}

fn numbers(name: &str) -> (f64, f64, f64, Health) {
    match name {
        "bravo" => (42.0, 0.031, 38.0, Health::Degraded),
        "delta" => (11.0, 0.12, 120.0, Health::Degraded),
        "echo" => (10.5, 0.0, 310.0, Health::Up),
        "alpha" => (25.0, 0.0, 6.0, Health::Up),
        "charlie" => (36.0, 0.0, 2.0, Health::Up),
        _ => (53.0, 0.002, 1.5, Health::Up),
    }
}

/// Series of `points` steps of 5 s (180 is 15 minutes), with a bump in the
/// last fifth where the fault started.
pub fn series(name: &str, points: usize) -> ServiceSeries {
    let (rate, err, p50, _) = numbers(name);
    let mk = |i: usize| {
        let late = i * 5 >= points * 4;
        let wobble = ((i as f64) * 0.7).sin() * 0.15 + 1.0;
        SeriesPoint {
            t_unix_ms: NOW_MS - (points - 1 - i) as u64 * 5_000,
            stats: red(
                rate * wobble,
                if late { err } else { err / 10.0 },
                if late { p50 } else { p50 / 3.0 } * wobble,
            ),
        }
    };
    ServiceSeries {
        step_s: 5.0,
        points: (0..points).map(mk).collect(),
        routes: Vec::new(),
    }
}

fn routes(name: &str) -> Vec<RouteStats> {
    let r = |m: &str, route: &str, s: RedStats| RouteStats {
        method: m.into(),
        route: route.into(),
        stats: s,
    };
    let (rate, err, p50, _) = numbers(name);
    match name {
        "bravo" => vec![
            r("GET", "/api/products", red(rate * 0.6, 0.0, 9.0)),
            r("POST", "/api/checkout", red(rate * 0.25, 0.11, 420.0)),
            r("POST", "/api/login", red(rate * 0.15, 0.0, 4.0)),
        ],
        "delta" => vec![r("POST", "/delta", red(rate, err, p50))],
        "echo" => vec![r("POST", "/charges", red(rate, err, p50))],
        "charlie" => vec![
            r("GET", "/stock/{sku}", red(rate * 0.7, 0.0, 1.0)),
            r("POST", "/reservations", red(rate * 0.3, 0.0, 3.0)),
        ],
        "alpha" => vec![r("GET", "/products", red(rate, err, p50))],
        _ => vec![r("GET", "/foxtrot/me", red(rate, err, p50))],
    }
}

/// The hub's answers for the fixture lab (series of `points` steps).
pub fn hub_data(points: usize) -> HubData {
    let services: Vec<ServiceStats> = SERVICES
        .iter()
        .map(|&n| {
            let (rate, err, p50, health) = numbers(n);
            ServiceStats {
                name: n.into(),
                health,
                stats: red(rate, err, p50),
                routes: routes(n),
                series: Some(series(n, points)),
                source: "prometheus".into(),
                sdk_language: Some("rust".into()),
                signals: vec!["traces".into(), "logs".into()],
                role: String::new(),
            }
        })
        .collect();
    let edge = |a: &str, b: &str, rate: f64, err: f64, p50: f64, fault: bool| EdgeStats {
        from: a.into(),
        to: b.into(),
        stats: red(rate, err, p50),
        fault_active: fault,
        faults: if fault {
            vec!["latency".into()]
        } else {
            Vec::new()
        },
        source: "prometheus".into(),
        messaging: None,
    };
    let edges = vec![
        edge("alpha", "charlie", 25.0, 0.0, 2.0, false),
        edge("bravo", "alpha", 25.0, 0.0, 7.0, false),
        edge("bravo", "delta", 11.0, 0.12, 130.0, false),
        edge("bravo", "foxtrot", 42.0, 0.0, 1.6, false),
        edge("delta", "charlie", 11.0, 0.0, 2.5, false),
        edge("delta", "echo", 10.5, 0.12, 320.0, true),
        edge("delta", "foxtrot", 11.0, 0.0, 1.5, false),
    ];
    let topology = Topology {
        nodes: services
            .iter()
            .map(|s| TopologyNode {
                name: s.name.clone(),
                health: s.health,
                stats: s.stats.clone(),
                source: s.source.clone(),
                sdk_language: s.sdk_language.clone(),
                role: String::new(),
            })
            .collect(),
        edges,
        window_s: 30.0,
        generated_unix_ms: NOW_MS,
    };
    let entry =
        |svc: &str, dep: &str, circuit: CircuitState, ok: f64, timeouts: f64, rejected: f64| {
            let calls_rate: BTreeMap<String, f64> = [
                ("success", ok),
                ("failure", 0.0),
                ("timeout", timeouts),
                ("rejected_circuit_open", rejected),
                ("rejected_bulkhead", 0.0),
                ("fallback", rejected),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            ResilienceEntry {
                service: svc.into(),
                dependency: dep.into(),
                circuit,
                calls_total: calls_rate
                    .iter()
                    .map(|(k, v)| (k.clone(), v * 600.0))
                    .collect(),
                calls_rate,
                retries_rate: timeouts * 2.0,
                bulkhead_in_flight: Some(if dep == "echo" { 8.0 } else { 1.0 }),
            }
        };
    let resilience = ResilienceResponse {
        entries: vec![
            entry("alpha", "charlie", CircuitState::Closed, 25.0, 0.0, 0.0),
            entry("bravo", "alpha", CircuitState::Closed, 25.0, 0.0, 0.0),
            entry("bravo", "delta", CircuitState::Closed, 10.0, 0.4, 0.0),
            entry("bravo", "foxtrot", CircuitState::Closed, 42.0, 0.0, 0.0),
            entry("delta", "charlie", CircuitState::Closed, 11.0, 0.0, 0.0),
            entry("delta", "echo", CircuitState::Open, 0.0, 1.2, 9.3),
            entry("delta", "foxtrot", CircuitState::HalfOpen, 11.0, 0.0, 0.0),
        ],
        window_s: 30.0,
    };
    let journey = |name: &str, rate: f64, err: f64, p50: f64| JourneyStats {
        journey: name.into(),
        stats: red(rate, err, p50),
        outcomes_rate: BTreeMap::from([("ok".to_string(), rate * (1.0 - err))]),
        outcomes_total: BTreeMap::new(),
    };
    let load = LoadResponse {
        total: RedStats {
            rate: 40.0,
            error_ratio: 0.034,
            p50_ms: Some(21.0),
            p95_ms: Some(380.0),
            p99_ms: Some(910.0),
        },
        journeys: vec![
            journey("browse", 30.0, 0.0, 12.0),
            journey("checkout", 10.0, 0.12, 450.0),
        ],
        window_s: 30.0,
    };
    HubData {
        logs: Some(logs()),
        heatmap: Some(heatmap()),
        topology,
        services: ServicesResponse {
            services,
            window_s: 30.0,
        },
        resilience: Some(resilience),
        load: Some(load),
        health: None,
        traces: Some(traces()),
    }
}

/// The fault the agent reports in the fixture lab.
pub fn faults() -> Vec<FaultRow> {
    vec![FaultRow {
        id: "toxic:echo:latency_downstream".into(),
        kind: "latency".into(),
        target: "echo".into(),
        remaining_ms: Some(42_000),
        detail: "jitter=0 latency=300".into(),
    }]
}

/// The fixture lab as the dashboard holds it after one poll (15 minutes of
/// series), with the checkout trace opened.
pub fn lab_state() -> AppState {
    lab_state_with(180, checkout_trace())
}

/// The fixture lab with `points` series steps and `trace` opened.
pub fn lab_state_with(points: usize, trace: TraceDetail) -> AppState {
    let mut state = AppState::new("http://127.0.0.1:7070");
    state.agent_url = Some("http://127.0.0.1:8474".into());
    update::apply(&mut state, DataEvent::Hub(Box::new(hub_data(points))));
    update::apply(&mut state, DataEvent::Faults(Ok(faults())));
    state.chaos.fetched_at = None;
    state.now = None;
    let id = trace.summary.trace_id.clone();
    update::apply(&mut state, DataEvent::Trace(Ok(Box::new(trace))));
    let mut mine: Vec<_> = logs()
        .logs
        .into_iter()
        .filter(|l| l.trace_id.as_deref() == Some(id.as_str()))
        .collect();
    mine.reverse();
    update::apply(&mut state, DataEvent::TraceLogs(id, mine));
    state
}

/// Log records of the fixture lab, newest first.
pub fn logs() -> chaoslab_contract::wire::hub::LogsResponse {
    use chaoslab_contract::wire::hub::{LogView, LogsResponse};
    let trace = traces::checkout_trace();
    let tid = trace.summary.trace_id.clone();
    let rec =
        |seq: u64, level: &str, n: u8, service: &str, body: &str, span: Option<&str>| LogView {
            seq,
            time_unix_nano: NOW_MS * 1_000_000 - (10 - seq) * 150_000_000,
            severity_number: n,
            level: level.into(),
            body: body.into(),
            service: service.into(),
            trace_id: span.map(|_| tid.clone()),
            span_id: span.map(str::to_string),
            attributes: Default::default(),
        };
    let pay = trace.spans.get(5).map(|s| s.span_id.clone());
    let mut logs = vec![
        rec(
            1,
            "INFO",
            9,
            "bravo",
            "checkout started",
            trace.spans.first().map(|s| s.span_id.as_str()),
        ),
        rec(
            2,
            "WARN",
            13,
            "echo",
            "echo slow: retrying the charge",
            pay.as_deref(),
        ),
        rec(3, "INFO", 9, "delta", "order 1042 placed", None),
        rec(
            4,
            "ERROR",
            17,
            "echo",
            "charge declined: card expired",
            None,
        ),
    ];
    logs.reverse();
    LogsResponse {
        matched: logs.len(),
        last_seq: 4,
        logs,
    }
}

/// A latency heatmap of the first fixture service: most requests fast, a
/// slow band late in the range.
pub fn heatmap() -> chaoslab_contract::wire::hub::Heatmap {
    use chaoslab_contract::wire::hub::{Heatmap, HeatmapColumn};
    let bounds = [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];
    let columns = (0..60u64)
        .map(|i| HeatmapColumn {
            t_unix_ms: NOW_MS - (60 - i) * 5000,
            rates: (0..=bounds.len())
                .map(|b| match b {
                    1 | 2 => 20.0,
                    6 if i > 40 => 8.0,
                    _ => 0.5,
                })
                .collect(),
        })
        .collect();
    Heatmap {
        // The service the dashboard selects first: the first by name.
        service: SERVICES
            .iter()
            .min()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        source: "prometheus".into(),
        step_s: 5.0,
        bounds_ms: bounds.iter().map(|b| Some(*b)).chain([None]).collect(),
        columns,
    }
}
