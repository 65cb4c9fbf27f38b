//! The simulated users' side of the shop's public API: one method per
//! journey, each HTTP call a client span under the journey's root span with
//! its context in `traceparent`.
//!
//! Tokens are cached per simulated user and renewed once on a 401; orders
//! placed by checkouts are remembered (the most recent ones) for `view_order`.

mod calls;

use crate::journey::{Journey, Outcome};
use axum::body::Bytes;
use calls::classify;
use http::{HeaderMap, HeaderValue, Method};
use rand::{RngExt, rngs::SmallRng};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::Span;

/// The shop's seeded accounts.
const USERS: [(&str, &str); 2] = [("alice@example.com", "alice"), ("bob@example.com", "bob")];
/// The shop's seeded product ids.
const PRODUCTS: std::ops::RangeInclusive<u32> = 1..=20;
/// How many placed orders are remembered for `view_order`.
const ORDERS_KEPT: usize = 1000;

/// A step's failure, already classified.
type Step<T> = Result<T, Outcome>;

/// The shop's gateway as the simulated users see it.
pub(crate) struct ShopClient {
    http: reqwest::Client,
    /// The gateway's URL, parsed once: each request only sets its path.
    /// `None` when the target did not parse: every call fails as `error`.
    base: Option<reqwest::Url>,
    /// Path prefix of the target URL, if it has one.
    prefix: String,
    /// One token slot per simulated user. The async lock makes one login
    /// per user at a time: arrivals that need the same token wait for it
    /// instead of all logging in at once (a login storm after a 401).
    tokens: Vec<tokio::sync::Mutex<Option<String>>>,
    orders: Mutex<VecDeque<(String, usize)>>,
    /// Idempotency keys are `loadgen-<run>-<n>`: unique across runs and checkouts.
    run_id: u64,
    checkouts: AtomicU64,
}

impl ShopClient {
    /// A client of the gateway at `base` (an http(s) URL).
    pub(crate) fn new(
        base: Option<reqwest::Url>,
        max_in_flight: usize,
        timeout: Duration,
        run_id: u64,
    ) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(max_in_flight)
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        Self {
            http,
            prefix: base
                .as_ref()
                .map(|b| b.path().trim_end_matches('/').to_string())
                .unwrap_or_default(),
            base,
            tokens: USERS
                .iter()
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
            orders: Mutex::new(VecDeque::new()),
            run_id,
            checkouts: AtomicU64::new(0),
        }
    }

    /// The journey that will really be played: `view_order` needs an order.
    pub(crate) fn resolve(&self, journey: Journey) -> Journey {
        if journey == Journey::ViewOrder && lock(&self.orders).is_empty() {
            Journey::Browse
        } else {
            journey
        }
    }

    /// Plays `journey` under `root`, drawing its data from `rng`.
    pub(crate) async fn play(&self, journey: Journey, root: &Span, rng: &mut SmallRng) -> Outcome {
        let result = match journey {
            Journey::Browse => self.browse(root).await,
            Journey::ViewProduct => self.view_product(root, rng.random_range(PRODUCTS)).await,
            Journey::Checkout => self.checkout(root, rng).await,
            Journey::ViewOrder => self.view_order(root, rng).await,
        };
        result.err().unwrap_or(Outcome::Success)
    }

    async fn browse(&self, root: &Span) -> Step<()> {
        self.send(root, Method::GET, "/api/products", "/api/products", None)
            .await?;
        Ok(())
    }

    async fn view_product(&self, root: &Span, id: u32) -> Step<()> {
        let path = format!("/api/products/{id}");
        self.send(root, Method::GET, &path, "/api/products/{id}", None)
            .await?;
        Ok(())
    }

    async fn checkout(&self, root: &Span, rng: &mut SmallRng) -> Step<()> {
        let user = rng.random_range(0..USERS.len());
        let first = rng.random_range(PRODUCTS);
        let mut items = vec![json!({"product_id": first, "quantity": 1})];
        if rng.random_bool(0.5) {
            let second = 1 + (first + rng.random_range(0..19)) % 20;
            items.push(json!({"product_id": second, "quantity": 1}));
        }
        let body = json!({ "items": items });
        let n = self.checkouts.fetch_add(1, Ordering::Relaxed);
        let key = format!("loadgen-{:016x}-{n}", self.run_id);
        let send = |token: String| {
            let mut extra = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&key) {
                extra.insert("idempotency-key", v);
            }
            let body = body.clone();
            async move {
                self.send_as(
                    root,
                    Method::POST,
                    "/api/checkout",
                    "/api/checkout",
                    &token,
                    extra,
                    Some(body),
                )
                .await
            }
        };
        let order = self.with_token(root, user, send).await?;
        let order: Value = serde_json::from_slice(&order).unwrap_or(Value::Null);
        if let Some(id) = order.get("order_id").and_then(id_text) {
            let mut orders = lock(&self.orders);
            if orders.len() >= ORDERS_KEPT {
                orders.pop_front();
            }
            orders.push_back((id, user));
        }
        Ok(())
    }

    async fn view_order(&self, root: &Span, rng: &mut SmallRng) -> Step<()> {
        let picked = {
            let orders = lock(&self.orders);
            if orders.is_empty() {
                None
            } else {
                orders.get(rng.random_range(0..orders.len())).cloned()
            }
        };
        let Some((id, user)) = picked else {
            return self.browse(root).await;
        };
        let path = format!("/api/orders/{id}");
        let send = |token: String| {
            let path = path.clone();
            async move {
                self.send_as(
                    root,
                    Method::GET,
                    &path,
                    "/api/orders/{id}",
                    &token,
                    HeaderMap::new(),
                    None,
                )
                .await
            }
        };
        self.with_token(root, user, send).await?;
        Ok(())
    }

    /// Runs `call` with `user`'s cached token (logging in first when none);
    /// on a 401 logs in again and repeats `call` once.
    async fn with_token<F, Fut>(&self, root: &Span, user: usize, call: F) -> Step<Bytes>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Step<(u16, Bytes)>>,
    {
        let token = self.token(root, user, None).await?;
        let (status, body) = call(token.clone()).await?;
        if status != 401 {
            return classify(status, body);
        }
        let token = self.token(root, user, Some(&token)).await?;
        let (status, body) = call(token).await?;
        classify(status, body)
    }

    /// `user`'s token: the cached one unless it is `stale` (refused with a
    /// 401), else a new login. A token renewed meanwhile by another arrival
    /// is used as is.
    async fn token(&self, root: &Span, user: usize, stale: Option<&str>) -> Step<String> {
        let mut slot = self.tokens[user].lock().await;
        match slot.as_deref() {
            Some(t) if Some(t) != stale => return Ok(t.to_string()),
            _ => *slot = None,
        }
        let token = self.login(root, user).await?;
        *slot = Some(token.clone());
        Ok(token)
    }

    async fn login(&self, root: &Span, user: usize) -> Step<String> {
        let (email, password) = USERS[user];
        let body = json!({ "email": email, "password": password });
        let reply = self
            .send(root, Method::POST, "/api/login", "/api/login", Some(body))
            .await?;
        // A 2xx without a token is a broken answer: a transport-level error.
        let token = serde_json::from_slice::<Value>(&reply)
            .ok()
            .and_then(|v| v.get("token")?.as_str().map(String::from))
            .ok_or(Outcome::Error)?;
        Ok(token)
    }
}

/// An order id as path text, whether the shop sends a number or a string.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(target: &str) -> ShopClient {
        ShopClient::new(
            reqwest::Url::parse(target).ok(),
            4,
            Duration::from_secs(1),
            1,
        )
    }

    #[test]
    fn paths_go_under_the_target_url() {
        let url = |t: &str| client(t).url("/api/products").map(|u| u.to_string());
        assert_eq!(
            url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/api/products"
        );
        assert_eq!(
            url("http://h:1/shop/").unwrap(),
            "http://h:1/shop/api/products"
        );
        assert_eq!(url("not a url"), None);
    }
}
