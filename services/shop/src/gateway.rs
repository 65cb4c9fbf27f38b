//! gateway: the shop's public JSON API, and the errors users see.
//!
//! | route | answers |
//! |---|---|
//! | `POST /api/login {"email","password"}` | 200 `{"token"}`; 401 |
//! | `GET /api/products` | 200 `[{"id","name","price_cents"}]` |
//! | `GET /api/products/{id}` | 200 with `"stock"` (null when unknown) `"recommendations"` and `"delivery"` (each null when its service cannot answer in time); 404 |
//! | `POST /api/checkout` (bearer, optional `Idempotency-Key`) `{"items":[{"product_id","quantity"}]}` | 201 `{"order_id","status":"confirmed","total_cents"}`; 4xx/5xx `{"error","reason"}` |
//! | `GET /api/orders/{id}` (bearer) | the order and its status |
//!
//! Every answer comes within the gateway's request deadline (504 otherwise).
//! A product page asks catalog, recommendations (related products) and
//! shipping (the delivery estimate of one item) at once. The last two are
//! optional there: a lab without them serves `null`, and when one fails or
//! times out the page is served without its part (the fallback, unless the
//! policy switches fallback off). So one product page crosses three
//! languages: Rust, Python and Node.js.

use crate::{
    Upstreams,
    error::{ApiError, parse_json, passthrough},
    users::bearer,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use chaoslab_kit::http::client::{Call, Reply, Upstream};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Clone)]
struct Gateway {
    users: Arc<Upstream>,
    catalog: Arc<Upstream>,
    orders: Arc<Upstream>,
    /// Related products; `None` when the lab has no recommendations service.
    recommendations: Option<Arc<Upstream>>,
    /// Delivery estimates; `None` when the lab has no shipping service.
    shipping: Option<Arc<Upstream>>,
}

pub fn router(up: &Upstreams) -> anyhow::Result<Router> {
    let s = Gateway {
        users: up.get("users")?,
        catalog: up.get("catalog")?,
        orders: up.get("orders")?,
        recommendations: up.get("recommendations").ok(),
        shipping: up.get("shipping").ok(),
    };
    Ok(Router::new()
        .route("/api/login", post(login))
        .route("/api/products", get(products))
        .route("/api/products/{id}", get(product))
        .route("/api/checkout", post(checkout))
        .route("/api/orders/{id}", get(order))
        .with_state(s))
}

/// A dependency's answer as the user's answer: 2xx as it is, 4xx passed on.
fn relay(reply: Reply) -> Result<(StatusCode, Json<Value>), ApiError> {
    if reply.status.is_success() {
        Ok((reply.status, Json(reply.body)))
    } else {
        Err(passthrough(&reply))
    }
}

async fn login(
    State(s): State<Gateway>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let v: Value = parse_json(&body)?;
    let (Some(email), Some(password)) = (
        v.get("email").and_then(Value::as_str),
        v.get("password").and_then(Value::as_str),
    ) else {
        return Err(ApiError::bad_request(
            "expected {\"email\": string, \"password\": string}",
        ));
    };
    let reply = s
        .users
        .call(
            Call::post(
                "/users/login",
                "/users/login",
                json!({"email": email, "password": password}),
            )
            .retryable(true),
        )
        .await?;
    let (status, Json(body)) = relay(reply)?;
    Ok((status, Json(json!({ "token": body["token"] }))))
}

async fn products(State(s): State<Gateway>) -> Result<(StatusCode, Json<Value>), ApiError> {
    relay(s.catalog.call(Call::get("/products", "/products")).await?)
}

async fn product(
    State(s): State<Gateway>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if id.parse::<u64>().is_err() {
        return Err(ApiError::bad_request(format!(
            "product id must be a number, got {id:?}"
        )));
    }
    let related = Call::get(
        format!("/recommendations?product_id={id}&limit=4"),
        "/recommendations",
    );
    let n: u64 = id.parse().unwrap_or_default();
    let delivery = Call::post(
        "/quotes",
        "/quotes",
        json!({ "items": [{ "product_id": n, "quantity": 1 }], "destination": { "country": "NL" } }),
    );
    let (product, recommendations, delivery) = tokio::join!(
        s.catalog
            .call(Call::get(format!("/products/{id}"), "/products/{id}")),
        optional(s.recommendations.as_deref(), related),
        optional(s.shipping.as_deref(), delivery),
    );
    let (status, Json(mut body)) = relay(product?)?;
    body["recommendations"] = recommendations?
        .get("recommendations")
        .cloned()
        .unwrap_or(Value::Null);
    body["delivery"] = match delivery? {
        Value::Null => Value::Null,
        q => {
            json!({ "eta_days": q["eta_days"], "price_cents": q["price_cents"], "currency": q["currency"] })
        }
    };
    Ok((status, Json(body)))
}

/// An optional part of a page (a read, so it may be retried): the answer,
/// or `null` when there is none to show: no such service in the lab, a 4xx
/// (an unknown product), or (the fallback) a failed or timed-out call.
async fn optional(up: Option<&Upstream>, call: Call) -> Result<Value, ApiError> {
    let Some(up) = up else {
        return Ok(Value::Null);
    };
    match up.call(call.retryable(true)).await {
        Ok(r) if r.status.is_success() => Ok(r.body),
        Ok(_) => Ok(Value::Null),
        Err(e) if up.dependency().fallback_enabled() => {
            tracing::info!(error = %e, "serving the page without {}'s part", up.name());
            up.dependency().record_fallback();
            Ok(Value::Null)
        }
        Err(e) => Err(e.into()),
    }
}

async fn checkout(
    State(s): State<Gateway>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = bearer(&headers).ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
    let v: Value = parse_json(&body)?;
    let items = v.get("items").and_then(Value::as_array).ok_or_else(|| {
        ApiError::bad_request("expected {\"items\": [{\"product_id\": n, \"quantity\": n}]}")
    })?;
    for (n, item) in items.iter().enumerate() {
        let ok = item.get("product_id").and_then(Value::as_u64).is_some()
            && item.get("quantity").and_then(Value::as_u64).is_some();
        if !ok {
            return Err(ApiError::bad_request(format!(
                "items[{n}] needs a numeric product_id and a positive whole quantity"
            )));
        }
    }
    let mut call = Call::post("/orders", "/orders", json!({ "items": items }))
        .header("authorization", format!("Bearer {token}"));
    if let Some(key) = headers.get("idempotency-key").and_then(|k| k.to_str().ok()) {
        call = call.header("idempotency-key", key).retryable(true);
    }
    relay(s.orders.call(call).await?)
}

async fn order(
    State(s): State<Gateway>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = bearer(&headers).ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
    relay(
        s.orders
            .call(
                Call::get(format!("/orders/{id}"), "/orders/{id}")
                    .header("authorization", format!("Bearer {token}")),
            )
            .await?,
    )
}
