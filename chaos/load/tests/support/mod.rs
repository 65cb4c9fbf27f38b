//! Test support: the shop's journeys from `labs/shop.toml`, or a lab's from
//! TOML text; a small axum app like the shop's gateway API on 127.0.0.1:0 whose
//! behaviour the tests steer (status, delay, a stall gate, token revocation)
//! and which records what it was sent; `eventually` / `holds_for` instead of
//! sleeps; and a helper that runs a generator until told to stop.
#![allow(dead_code)]

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chaoslab_contract::Lab;
use chaoslab_load::{Load, LoadConfig, LoadGen};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// What the stand-in gateway saw of one checkout.
#[derive(Debug, Clone)]
pub struct SeenCheckout {
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub status: u16,
}

/// Shared state of the stand-in gateway.
#[derive(Default)]
pub struct Shop {
    /// Requests by route: "products", "product", "login", "checkout", "order".
    hits: Mutex<HashMap<&'static str, u64>>,
    /// Status `GET /api/products` answers (0 = 200 with the list).
    pub products_status: AtomicU16,
    /// Delay of `GET /api/products`, ms.
    pub products_delay_ms: AtomicU64,
    /// Delay of `POST /api/login`, ms.
    pub login_delay_ms: AtomicU64,
    /// While true, `GET /api/products` waits.
    stalled: Mutex<Option<watch::Sender<bool>>>,
    tokens: Mutex<HashSet<String>>,
    issued: AtomicU64,
    pub checkouts: Mutex<Vec<SeenCheckout>>,
    /// order id -> token that created it.
    orders: Mutex<HashMap<u64, String>>,
    /// (order id, status answered) of `GET /api/orders/{id}`.
    pub order_views: Mutex<Vec<(u64, u16)>>,
    /// `traceparent` of every request, in arrival order.
    pub traceparents: Mutex<Vec<Option<String>>>,
}

impl Shop {
    pub fn hits(&self, route: &str) -> u64 {
        self.hits.lock().unwrap().get(route).copied().unwrap_or(0)
    }

    pub fn total_hits(&self) -> u64 {
        self.hits.lock().unwrap().values().sum()
    }

    fn hit(&self, route: &'static str, headers: &HeaderMap) {
        *self.hits.lock().unwrap().entry(route).or_default() += 1;
        let tp = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        self.traceparents.lock().unwrap().push(tp);
    }

    /// Holds every `GET /api/products` until [`Shop::release`].
    pub fn stall(&self) {
        *self.stalled.lock().unwrap() = Some(watch::Sender::new(true));
    }

    pub fn release(&self) {
        if let Some(tx) = self.stalled.lock().unwrap().take() {
            tx.send_replace(false);
        }
    }

    /// Forgets every token: the next authenticated call gets a 401.
    pub fn revoke_tokens(&self) {
        self.tokens.lock().unwrap().clear();
    }

    pub fn issued_tokens(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    fn bearer(&self, headers: &HeaderMap) -> Option<String> {
        let auth = headers.get("authorization")?.to_str().ok()?;
        let token = auth.strip_prefix("Bearer ")?;
        self.tokens
            .lock()
            .unwrap()
            .contains(token)
            .then(|| token.to_string())
    }
}

fn error(status: StatusCode, reason: &str) -> Response {
    (status, Json(json!({"error": "failed", "reason": reason}))).into_response()
}

async fn products(State(shop): State<Arc<Shop>>, headers: HeaderMap) -> Response {
    shop.hit("products", &headers);
    let gate = shop
        .stalled
        .lock()
        .unwrap()
        .as_ref()
        .map(|tx| tx.subscribe());
    if let Some(mut rx) = gate {
        let _ = rx.wait_for(|stalled| !stalled).await;
    }
    let delay = shop.products_delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match shop.products_status.load(Ordering::Relaxed) {
        0 | 200 => Json(
            (1..=20)
                .map(|id| json!({"id": id, "name": format!("p{id}"), "price_cents": 100 * id}))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        s => error(StatusCode::from_u16(s).unwrap(), "steered by the test"),
    }
}

async fn product(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Response {
    shop.hit("product", &headers);
    if !(1..=20).contains(&id) {
        return error(StatusCode::NOT_FOUND, "no such product");
    }
    Json(json!({"id": id, "name": format!("p{id}"), "price_cents": 100 * id, "stock": 5}))
        .into_response()
}

async fn login(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shop.hit("login", &headers);
    let delay = shop.login_delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let ok = matches!(
        (body["email"].as_str(), body["password"].as_str()),
        (Some("alice@example.com"), Some("alice")) | (Some("bob@example.com"), Some("bob"))
    );
    if !ok {
        return error(StatusCode::UNAUTHORIZED, "bad credentials");
    }
    let n = shop.issued.fetch_add(1, Ordering::Relaxed);
    let token = format!("tok-{n}");
    shop.tokens.lock().unwrap().insert(token.clone());
    Json(json!({ "token": token })).into_response()
}

async fn checkout(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shop.hit("checkout", &headers);
    let text = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let token = shop.bearer(&headers);
    let items = body["items"].as_array().map(|a| a.len()).unwrap_or(0);
    let status = match (&token, items) {
        (None, _) => 401,
        (Some(_), 1..=2) => 201,
        _ => 400,
    };
    shop.checkouts.lock().unwrap().push(SeenCheckout {
        authorization: text("authorization"),
        idempotency_key: text("idempotency-key"),
        status,
    });
    match (status, token) {
        (201, Some(token)) => {
            let mut orders = shop.orders.lock().unwrap();
            let id = orders.len() as u64 + 1;
            orders.insert(id, token);
            (
                StatusCode::CREATED,
                Json(json!({"order_id": id, "status": "confirmed", "total_cents": 100})),
            )
                .into_response()
        }
        (401, _) => error(StatusCode::UNAUTHORIZED, "bad token"),
        _ => error(StatusCode::BAD_REQUEST, "bad items"),
    }
}

async fn order(State(shop): State<Arc<Shop>>, headers: HeaderMap, Path(id): Path<u64>) -> Response {
    shop.hit("order", &headers);
    let status = match shop.bearer(&headers) {
        None => 401,
        Some(_) if shop.orders.lock().unwrap().contains_key(&id) => 200,
        Some(_) => 404,
    };
    shop.order_views.lock().unwrap().push((id, status));
    match status {
        200 => Json(json!({"order_id": id, "status": "confirmed"})).into_response(),
        401 => error(StatusCode::UNAUTHORIZED, "bad token"),
        _ => error(StatusCode::NOT_FOUND, "no such order"),
    }
}

/// Starts the stand-in gateway; returns its base URL and state.
pub async fn start_shop() -> (String, Arc<Shop>) {
    let shop = Arc::new(Shop::default());
    let app = Router::new()
        .route("/api/products", get(products))
        .route("/api/products/{id}", get(product))
        .route("/api/login", post(login))
        .route("/api/checkout", post(checkout))
        .route("/api/orders/{id}", get(order))
        .with_state(shop.clone());
    let url = format!("http://{}", chaoslab_testkit::serve(app).await);
    (url, shop)
}

#[allow(unused_imports)]
pub use chaoslab_testkit::{eventually, holds_for};

/// A generator running in a task until [`Running::stop`].
pub struct Running {
    pub generator: Arc<LoadGen>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn start(cfg: LoadConfig) -> Self {
        let generator = LoadGen::try_new(cfg).expect("valid config");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(generator.clone().run(async move {
            let _ = rx.await;
        }));
        Self {
            generator,
            stop: Some(tx),
            task,
        }
    }

    /// Stops arrivals and waits for the journeys in flight.
    pub async fn stop(mut self) -> Arc<LoadGen> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("generator stops")
            .expect("generator task");
        self.generator
    }
}

/// Runs a generator for `cfg` during `secs` seconds (arrivals stop then;
/// journeys in flight finish).
pub async fn run_for(cfg: LoadConfig, span: Duration) -> Arc<LoadGen> {
    let generator = LoadGen::try_new(cfg).expect("valid config");
    generator.clone().run(tokio::time::sleep(span)).await;
    generator
}

/// The shop's `[load]`, read from `labs/shop.toml` by the contract crate.
pub fn shop_load() -> Load {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml");
    Lab::load(&file).unwrap_or_else(|e| panic!("{e}")).load
}

/// The `[load]` of a lab file's text (a `url` service stands for the entry).
pub fn lab_load(load_toml: &str) -> Load {
    let text = format!("[services.entry]\nurl = \"http://127.0.0.1:1\"\n{load_toml}");
    Lab::parse("test.toml", &text, std::path::Path::new("/tmp"))
        .unwrap_or_else(|e| panic!("{e}"))
        .load
}

/// A config of the shop's journeys against `url` at `rate`, seeded.
pub fn config(url: &str, rate: f64) -> LoadConfig {
    let mut cfg = LoadConfig::new(url, shop_load());
    cfg.rate = rate;
    cfg.seed = Some(7);
    cfg
}

/// `cfg` with only the journeys named in `weights` weighted (others 0).
pub fn weighted(mut cfg: LoadConfig, weights: &[(&str, f64)]) -> LoadConfig {
    for j in &mut cfg.load.journeys {
        j.weight = weights
            .iter()
            .find(|(n, _)| *n == j.name)
            .map(|(_, w)| *w)
            .unwrap_or(0.0);
    }
    cfg
}
