//! A fake lab for runner tests: one axum server on 127.0.0.1:0 that plays
//! the agent, every service's admin API, the gateway, the load generator and
//! the hub, records every call it receives, and reacts to faults the way the
//! shop would (checkout errors while payments fails, unless the breaker is on).
//! Its answers are the contract's wire shapes (the runner reads them with the
//! contract's typed clients).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use chaoslab_contract::wire::load::{JourneyReport, LoadReport, LoadUpdate, TotalsReport, Weights};
use chaoslab_experiment::LabEndpoints;

/// One call the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
}

/// What the fake knows and how it answers.
#[derive(Debug)]
pub struct Fake {
    pub calls: Vec<Call>,
    pub rate: f64,
    /// In-service faults by service: ids.
    pub faults: BTreeMap<String, Vec<String>>,
    /// Policies by "service/dependency".
    pub policies: BTreeMap<String, Value>,
    pub settings: BTreeMap<String, Value>,
    /// Toxics by proxy: names.
    pub toxics: BTreeMap<String, Vec<String>>,
    /// Whether the agent has the `/chaos/proxies/{p}/toxics` extension.
    pub toxic_extension: bool,
    /// Whether the agent has `/chaos/proxies/{p}/down` (a timed down).
    pub down_extension: bool,
    /// Proxies that are down.
    pub down: Vec<String>,
    /// Product pages that answer 503 before the next ones answer 200.
    pub failing_product_pages: u32,
    /// Services whose `POST /admin/faults` answers 500.
    pub broken_fault_api: Vec<String>,
    /// `GET /load` answers only the rate (not a load generator's report).
    pub partial_load_report: bool,
    /// The load generator's journey weights.
    pub weights: BTreeMap<String, f64>,
    next_id: u32,
}

pub type Shared = Arc<Mutex<Fake>>;

fn default_policy() -> Value {
    serde_json::to_value(chaoslab_resilience::Policy::default()).unwrap()
}

/// A dependency's status as the admin API shows it, with `policy` and the
/// breaker in `state`.
fn status(name: &str, policy: &Value, state: &str) -> Value {
    let policy = serde_json::from_value(policy.clone()).unwrap_or_default();
    let mut v =
        serde_json::to_value(chaoslab_resilience::Dependency::new(name, policy).status()).unwrap();
    v["breaker"]["state"] = json!(state);
    v
}

/// A fault as a service's admin API answers it.
fn fault_view(id: &str, service: &str, body: &Value) -> Value {
    let mut v = body.clone();
    v["id"] = json!(id);
    v["target"] = json!(service);
    v["duration_ms"] = json!(body["duration_ms"].as_u64().unwrap_or(60_000));
    v["remaining_ms"] = v["duration_ms"].clone();
    v["started_at"] = json!(0.0);
    v
}

/// An entry of the agent's `GET /chaos/faults`.
fn active(id: &str, source: &str, target: &str, kind: &str) -> Value {
    json!({"id": id, "source": source, "target": target, "kind": kind})
}

impl Fake {
    fn new() -> Self {
        Self {
            calls: Vec::new(),
            rate: 5.0,
            faults: BTreeMap::new(),
            policies: BTreeMap::new(),
            settings: BTreeMap::new(),
            toxics: BTreeMap::new(),
            toxic_extension: true,
            down_extension: true,
            down: Vec::new(),
            failing_product_pages: 0,
            broken_fault_api: Vec::new(),
            partial_load_report: false,
            weights: [
                ("checkout".to_string(), 1.0),
                ("view_product".to_string(), 1.0),
            ]
            .into(),
            next_id: 1,
        }
    }

    fn policy(&mut self, key: &str) -> &mut Value {
        self.policies
            .entry(key.to_string())
            .or_insert_with(default_policy)
    }

    fn payments_failing(&self) -> bool {
        self.faults.get("payments").is_some_and(|f| !f.is_empty())
    }

    fn breaker_on(&self) -> bool {
        self.policies
            .get("orders/payments")
            .map(|p| p["breaker"]["enabled"] == json!(true))
            .unwrap_or(true)
    }

    /// What the load generator reports: checkout's numbers follow
    /// [`Fake::checkout_success`]; view_product had no requests in the window.
    pub fn load_report(&self) -> LoadReport {
        let s = self.checkout_success();
        let success = (s * 100.0).round() as u64;
        let checkout = JourneyReport {
            requests: 100,
            success,
            errors: 100 - success,
            success_ratio: Some(s),
            p50_ms: Some(20.0),
            p95_ms: Some(80.0),
            p99_ms: Some(120.0),
            max_ms: Some(150.0),
            outcomes: [("success".to_string(), success)].into(),
            ..JourneyReport::default()
        };
        let journeys: BTreeMap<String, JourneyReport> = [
            ("checkout".to_string(), checkout.clone()),
            ("view_product".to_string(), JourneyReport::default()),
        ]
        .into();
        LoadReport {
            target: "http://fake/svc/gateway".into(),
            rate: self.rate,
            running: true,
            weights: Weights(self.weights.clone()),
            max_in_flight: 1000,
            window_secs: 10,
            journeys: journeys.clone(),
            all: checkout,
            totals: TotalsReport {
                elapsed_secs: 10.0,
                journeys,
                all: JourneyReport::default(),
            },
            ..LoadReport::default()
        }
    }

    /// Checkout's success ratio: payments failing without a breaker hurts.
    fn checkout_success(&self) -> f64 {
        if self.payments_failing() && !self.breaker_on() {
            0.4
        } else {
            0.99
        }
    }
}

fn merge(into: &mut Value, patch: &Value) {
    match (into, patch) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

async fn handle(State(fake): State<Shared>, method: Method, uri: Uri, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().to_string();
    let mut f = fake.lock().unwrap();
    f.calls.push(Call {
        method: method.to_string(),
        path: path.clone(),
        body: body.clone(),
    });
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let m = method.as_str();
    let ok = |v: Value| (StatusCode::OK, axum::Json(v)).into_response();
    match (m, segs.as_slice()) {
        // load generator
        ("GET", ["loadgen", "load"]) if f.partial_load_report => {
            ok(json!({"rate": f.rate, "running": true}))
        }
        ("GET", ["loadgen", "load"]) => ok(serde_json::to_value(f.load_report()).unwrap()),
        ("PUT", ["loadgen", "load"]) => {
            match serde_json::from_value::<LoadUpdate>(body.clone()) {
                Ok(u) => {
                    if let Some(r) = u.rate {
                        f.rate = r;
                    }
                    f.weights.extend(u.weights.map(|w| w.0).unwrap_or_default());
                }
                Err(e) => {
                    return (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({"error": format!("invalid body: {e}"), "status": 400})),
                    )
                        .into_response();
                }
            }
            ok(serde_json::to_value(f.load_report()).unwrap())
        }
        // hub
        ("GET", ["hub", "api", "metric"]) => ok(
            json!({"name": "x", "labels": {}, "agg": "sum", "window_s": 30.0,
                       "value": if f.payments_failing() { 3.0 } else { 0.0 }, "series_matched": 1}),
        ),
        ("GET", ["hub", "api", "traces"]) => ok(json!({"traces": [{
                "trace_id": "ab", "root_service": "gateway", "root_name": "GET /",
                "root_present": true, "start_unix_nano": 1u64 << 62, "duration_ms": 1.0,
                "span_count": 1, "services": ["gateway"], "has_error": false, "has_fault": false
            }], "matched": 1})),
        // services
        ("GET", ["svc", _, "api", "products", _]) if f.failing_product_pages > 0 => {
            f.failing_product_pages -= 1;
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"error": "unavailable"})),
            )
                .into_response()
        }
        ("GET", ["svc", _, "api", "products", _]) => ok(
            json!({"id": 1, "stock": if f.faults.contains_key("inventory") { Value::Null } else { json!(7) }}),
        ),
        ("GET", ["svc", s, "admin", "resilience", d]) => {
            let key = format!("{s}/{d}");
            let state = if f.payments_failing() && f.breaker_on() && *d == "payments" {
                "open"
            } else {
                "closed"
            };
            let policy = f.policy(&key).clone();
            ok(status(d, &policy, state))
        }
        ("PUT", ["svc", s, "admin", "resilience", d]) => {
            let key = format!("{s}/{d}");
            merge(f.policy(&key), &body);
            let policy = f.policy(&key).clone();
            ok(status(d, &policy, "closed"))
        }
        ("GET", ["svc", s, "admin", "settings"]) => {
            let v = f.settings.entry(s.to_string()).or_insert_with(|| json!({"propagate_deadline": true, "request_deadline_ms": null, "honour_idempotency_keys": true})).clone();
            ok(v)
        }
        ("PUT", ["svc", s, "admin", "settings"]) => {
            let v = f.settings.entry(s.to_string()).or_insert_with(|| json!({}));
            merge(v, &body);
            let v = v.clone();
            ok(v)
        }
        ("POST", ["svc", s, "admin", "faults"]) => {
            if f.broken_fault_api.iter().any(|b| b == s) {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(json!({"error": "fault store unavailable"})),
                )
                    .into_response();
            }
            let id = format!("f{}", f.next_id);
            f.next_id += 1;
            f.faults.entry(s.to_string()).or_default().push(id.clone());
            (StatusCode::CREATED, axum::Json(fault_view(&id, s, &body))).into_response()
        }
        ("DELETE", ["svc", s, "admin", "faults"]) => {
            f.faults.remove(*s);
            StatusCode::NO_CONTENT.into_response()
        }
        ("DELETE", ["svc", s, "admin", "faults", id]) => {
            let list = f.faults.entry(s.to_string()).or_default();
            let before = list.len();
            list.retain(|x| x != id);
            if list.is_empty() {
                f.faults.remove(*s);
            }
            if before == 0 {
                StatusCode::NOT_FOUND.into_response()
            } else {
                StatusCode::NO_CONTENT.into_response()
            }
        }
        // agent
        ("POST", ["agent", "chaos", "proxies", p, "toxics"]) => {
            if !f.toxic_extension {
                return StatusCode::NOT_FOUND.into_response();
            }
            let name = body["name"].as_str().unwrap_or("").to_string();
            f.toxics.entry(p.to_string()).or_default().push(name);
            ok(body)
        }
        ("POST", ["agent", "proxies", p, "toxics"]) => {
            let name = body["name"].as_str().unwrap_or("").to_string();
            f.toxics.entry(p.to_string()).or_default().push(name);
            ok(body)
        }
        ("DELETE", ["agent", "proxies", p, "toxics", name]) => {
            f.toxics
                .entry(p.to_string())
                .or_default()
                .retain(|n| n != name);
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", ["agent", "chaos", "proxies", p, "down"]) => {
            if !f.down_extension {
                return StatusCode::NOT_FOUND.into_response();
            }
            f.down.push(p.to_string());
            let id = format!("down-{}", f.next_id);
            f.next_id += 1;
            (
                StatusCode::CREATED,
                axum::Json(active(&id, "proxy", p, "down")),
            )
                .into_response()
        }
        ("POST", ["agent", "proxies", p]) => {
            if body["enabled"] == json!(false) {
                f.down.push(p.to_string());
            } else {
                f.down.retain(|d| d != p);
            }
            ok(
                json!({"name": p, "listen": "127.0.0.1:1", "upstream": "127.0.0.1:2",
                      "enabled": body["enabled"], "toxics": []}),
            )
        }
        ("DELETE", ["agent", "chaos", "faults", id]) => {
            if id.starts_with("down-") {
                f.down.clear();
            }
            StatusCode::NO_CONTENT.into_response()
        }
        ("POST", ["agent", "reset"]) => {
            f.toxics.clear();
            f.down.clear();
            StatusCode::NO_CONTENT.into_response()
        }
        ("DELETE", ["agent", "chaos", "faults"]) => StatusCode::NO_CONTENT.into_response(),
        ("POST", ["agent", "chaos", "process", s]) => ok(active(
            "process-1",
            "process",
            s,
            body["action"].as_str().unwrap_or(""),
        )),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": format!("fake lab: no route {m} {path}")})),
        )
            .into_response(),
    }
}

/// A running fake lab.
pub struct FakeLab {
    pub state: Shared,
    pub endpoints: LabEndpoints,
    pub dir: tempfile::TempDir,
}

impl FakeLab {
    /// Starts the fake on 127.0.0.1:0.
    pub async fn start() -> Self {
        let state: Shared = Arc::new(Mutex::new(Fake::new()));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let base = format!("http://{addr}");
        let services = [
            "gateway",
            "users",
            "catalog",
            "inventory",
            "orders",
            "payments",
        ]
        .iter()
        .map(|s| (s.to_string(), format!("{base}/svc/{s}")))
        .collect();
        let dir = tempfile::tempdir().unwrap();
        let endpoints = LabEndpoints {
            gateway: format!("{base}/svc/gateway"),
            agent: Some(format!("{base}/agent")),
            hub: Some(format!("{base}/hub")),
            loadgen: Some(format!("{base}/loadgen")),
            services,
            state_dir: dir.path().join("state"),
            model: Some(std::sync::Arc::new(
                chaoslab_contract::Lab::load(
                    &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml"),
                )
                .expect("the shop's lab file"),
            )),
        };
        Self {
            state,
            endpoints,
            dir,
        }
    }

    /// Writes an experiment file into the lab's temp dir.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A path in the temp dir (for outputs).
    pub fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Whether a call with this method and path was received.
    pub fn called(&self, method: &str, path: &str) -> bool {
        self.calls()
            .iter()
            .any(|c| c.method == method && c.path == path)
    }

    /// Index of the first such call.
    pub fn position(&self, method: &str, path: &str) -> Option<usize> {
        self.calls()
            .iter()
            .position(|c| c.method == method && c.path == path)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Fake) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

#[allow(unused_imports)]
pub use chaoslab_testkit::eventually;

/// A path relative to the crate.
pub fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}
