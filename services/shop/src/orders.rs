//! orders: the checkout saga, and orders by id.
//!
//! ```text
//!  POST /orders ─> verify user ─> shipping quote ─> reserve stock ─> charge ─> commit stock ─> confirmed
//!                       │               │             │            │
//!                       401          409/503    release stock   refund + release
//!                                              (order failed)   (order failed)
//! ```
//! `Idempotency-Key` on the request makes a repeated checkout return the
//! first order (the same key with other items answers 422); the charge
//! carries `order-<id>` as its key, so a retried charge happens once. The
//! shipping quote comes before anything is reserved: when shipping is down
//! or slow, the order gets the default quote (`"source": "default"`, the
//! fallback), or, with fallback off, the checkout fails with 503 and nothing
//! to compensate. A lab without shipping always uses the default quote.
//! `total_cents` is the items'. A confirmed order writes `order.placed` to
//! the outbox in the same critical section (see [`crate::events`]); the
//! checkout never waits on the broker. With the setting
//! `publish_via_outbox` off it publishes the event itself instead (the
//! dual write lesson 15 shows), and an event the broker does not take is
//! lost.

use crate::{
    Upstreams,
    error::{ApiError, parse_json, passthrough},
    events::{
        self, OrderPlaced,
        outbox::{Outbox, Row},
    },
    inventory::Item,
    seed,
    users::bearer,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use chaoslab_kit::{
    context::ServiceCtx,
    http::client::{Call, Upstream},
    names,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

#[derive(Debug, Clone, Serialize)]
struct Order {
    order_id: String,
    user_id: u64,
    status: &'static str,
    total_cents: u64,
    items: Vec<(u64, u64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
    /// The shipping quote: shipping's answer, or the default one.
    shipping: Value,
    /// The answer a failed checkout gave, replayed for the same key.
    #[serde(skip)]
    failed_with: Option<(StatusCode, &'static str)>,
}

struct Book {
    orders: HashMap<String, Order>,
    by_key: HashMap<(u64, String), String>,
    /// This process's incarnation (its start, ms since the epoch): order
    /// ids are `EPOCH-N`, so an orders that crashed and was restarted never
    /// hands out an id it gave before (payments would replay that order's
    /// charge for its idempotency key, the broker would drop its event as
    /// a duplicate within its window, the consumers would count it twice).
    epoch: String,
    next: u64,
    /// Orders confirmed so far in this incarnation (each event's `confirmed_seq`).
    confirmed: u64,
}

impl Default for Book {
    fn default() -> Self {
        Self {
            orders: HashMap::new(),
            by_key: HashMap::new(),
            epoch: events::now_ms().to_string(),
            next: 0,
            confirmed: 0,
        }
    }
}

#[derive(Clone)]
struct Orders {
    ctx: Arc<ServiceCtx>,
    users: Arc<Upstream>,
    inventory: Arc<Upstream>,
    payments: Arc<Upstream>,
    /// Shipping quotes; `None` when the lab has no shipping service.
    shipping: Option<Arc<Upstream>>,
    /// The shipments made for an order (the order view); `None` when the
    /// lab has no shipments service.
    shipments: Option<Arc<Upstream>>,
    book: Arc<Mutex<Book>>,
    /// `order.placed` events waiting for the broker; `None` when the lab
    /// has no broker (no events).
    outbox: Option<Arc<Outbox>>,
    /// The checkout's own publish, with `publish_via_outbox` off.
    direct: Option<Arc<events::relay::Direct>>,
}

/// The quote an order gets when shipping cannot give one.
fn default_quote() -> Value {
    json!({ "price_cents": 990, "currency": "EUR", "eta_days": { "min": 3, "max": 7 }, "source": "default" })
}

pub fn router(ctx: Arc<ServiceCtx>, up: &Upstreams) -> anyhow::Result<Router> {
    let outbox = up.broker().map(|(_, url)| {
        let outbox = Arc::new(Outbox::new(format!(
            "{}{}",
            ctx.name,
            names::OUTBOX_QUEUE_SUFFIX
        )));
        // The relay needs a runtime; a router built outside one (a unit
        // test) keeps its events in the outbox.
        if tokio::runtime::Handle::try_current().is_ok() {
            events::relay::spawn(url.to_string(), ctx.name.clone(), outbox.clone());
        }
        outbox
    });
    let direct = up
        .broker()
        .map(|(_, url)| Arc::new(events::relay::Direct::new(url, &ctx.name)));
    let s = Orders {
        ctx,
        users: up.get("users")?,
        inventory: up.get("inventory")?,
        payments: up.get("payments")?,
        shipping: up.get("shipping").ok(),
        shipments: up.get("shipments").ok(),
        book: Default::default(),
        outbox,
        direct,
    };
    Ok(Router::new()
        .route("/orders", post(checkout))
        .route("/orders/{id}", get(one))
        .with_state(s))
}

impl Orders {
    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn verify(&self, headers: &HeaderMap) -> Result<u64, ApiError> {
        let token =
            bearer(headers).ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
        let reply = self
            .users
            .call(
                Call::get("/users/verify", "/users/verify")
                    .header("authorization", format!("Bearer {token}")),
            )
            .await?;
        if !reply.status.is_success() {
            return Err(passthrough(&reply));
        }
        reply.body["user_id"].as_u64().ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "bad answer",
                "users answered without user_id",
            )
        })
    }

    /// Asks shipping what shipping `items` costs (from the warehouse to the
    /// shop's default destination); the default quote when it cannot say
    /// and the fallback is on.
    async fn quote(&self, items: &[Item]) -> Result<Value, ApiError> {
        let Some(up) = &self.shipping else {
            return Ok(default_quote());
        };
        let body = json!({
            "items": items.iter().map(|i| json!({"product_id": i.product_id, "quantity": i.quantity})).collect::<Vec<_>>(),
            "destination": { "country": "NL" },
        });
        // A quote changes nothing, so it may be retried.
        let failed = match up
            .call(Call::post("/quotes", "/quotes", body).retryable(true))
            .await
        {
            Ok(r) if r.status.is_success() => {
                let mut q = r.body;
                q["source"] = json!("quote");
                return Ok(q);
            }
            Ok(r) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "shipping refused",
                format!("shipping answered {} to a quote", r.status),
            ),
            Err(e) => e.into(),
        };
        if up.dependency().fallback_enabled() {
            tracing::info!(error = %failed.reason, "no shipping quote; the order gets the default one");
            up.dependency().record_fallback();
            Ok(default_quote())
        } else {
            Err(failed)
        }
    }

    /// Records how the saga ended; a confirmed order's `order.placed` row
    /// is written to the outbox under the same lock (the transaction). With
    /// `publish_via_outbox` off the row is given back instead, for the
    /// checkout to publish itself ([`Orders::publish_direct`]).
    fn finish(
        &self,
        id: &str,
        status: &'static str,
        failure: Option<&ApiError>,
    ) -> (Option<Order>, Option<Row>) {
        let mut b = self.lock();
        if !b.orders.contains_key(id) {
            return (None, None);
        }
        if status == "confirmed" {
            b.confirmed += 1;
        }
        let confirmed_seq = b.confirmed;
        let epoch = b.epoch.clone();
        let Some(o) = b.orders.get_mut(id) else {
            return (None, None);
        };
        o.status = status;
        o.failure = failure.map(|e| e.reason.clone());
        o.failed_with = failure.map(|e| (e.status, e.error));
        if status == "confirmed"
            && let Some(outbox) = &self.outbox
        {
            let event = OrderPlaced {
                confirmed_seq,
                epoch,
                order_id: o.order_id.clone(),
                user_id: o.user_id,
                total_cents: o.total_cents,
                items: o.items.clone(),
                placed_at_ms: events::now_ms(),
            };
            let row = Row {
                message_id: format!("order-{}-placed", o.order_id),
                subject: events::ORDER_PLACED,
                payload: serde_json::to_vec(&event).unwrap_or_default(),
                context: chaoslab_kit::messaging::current_context_headers(),
                written: std::time::Instant::now(),
            };
            if !self.ctx.settings().publish_via_outbox {
                return (Some(o.clone()), Some(row));
            }
            outbox.write(row);
        }
        (Some(o.clone()), None)
    }

    /// The dual write (`publish_via_outbox` off): the confirmed order's
    /// event published by the checkout itself, once; when the broker does
    /// not take it, it is lost (logged), and the order stays confirmed.
    async fn publish_direct(&self, row: Option<Row>) {
        let (Some(row), Some(direct)) = (row, &self.direct) else {
            return;
        };
        if let Err(e) = direct.publish(&row).await {
            tracing::error!(message_id = %row.message_id, error = %e, "order.placed lost: published by the checkout, not through the outbox");
        }
    }

    /// The saga after the order is recorded as pending.
    async fn run(&self, order: &Order, items: &[Item]) -> Result<(), ApiError> {
        let id = &order.order_id;
        let reserve = json!({ "order_id": id, "items": items.iter().map(|i| json!({"product_id": i.product_id, "quantity": i.quantity})).collect::<Vec<_>>() });
        // Reserving is idempotent per order id, so it may be retried.
        let reply = self
            .inventory
            .call(Call::post("/reservations", "/reservations", reserve).retryable(true))
            .await?;
        if !reply.status.is_success() {
            return Err(passthrough(&reply));
        }
        let reservation = reply.body["reservation_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let charge =
            json!({ "order_id": id, "user_id": order.user_id, "amount_cents": order.total_cents });
        let charged = self
            .payments
            .call(
                Call::post("/charges", "/charges", charge)
                    .header("idempotency-key", format!("order-{id}"))
                    .retryable(true),
            )
            .await;
        let charge_id = match charged {
            Ok(r) if r.status.is_success() => {
                r.body["charge_id"].as_str().unwrap_or_default().to_string()
            }
            Ok(r) => {
                self.release(&reservation).await;
                return Err(passthrough(&r));
            }
            Err(e) => {
                self.release(&reservation).await;
                return Err(e.into());
            }
        };
        let commit = Call::post(
            format!("/reservations/{reservation}/commit"),
            "/reservations/{id}/commit",
            json!({}),
        )
        .retryable(true);
        match self.inventory.call(commit).await {
            Ok(r) if r.status.is_success() => Ok(()),
            other => {
                let refund = Call::post(
                    format!("/charges/{charge_id}/refund"),
                    "/charges/{id}/refund",
                    json!({}),
                )
                .retryable(true);
                if let Err(e) = self.payments.call(refund).await {
                    tracing::error!(order = %id, charge = %charge_id, error = %e, "refund failed; needs manual follow-up");
                }
                self.release(&reservation).await;
                Err(match other {
                    Ok(r) => passthrough(&r),
                    Err(e) => e.into(),
                })
            }
        }
    }

    /// The shipments made for order `id` (made by the shipments consumer
    /// once the event reached it): a list, `null` when shipments cannot say.
    async fn shipments_of(&self, id: &str) -> Value {
        let Some(up) = &self.shipments else {
            return Value::Null;
        };
        let call = Call::get(format!("/shipments?order_id={id}"), "/shipments").retryable(true);
        match up.call(call).await {
            Ok(r) if r.status.is_success() => r.body,
            _ => Value::Null,
        }
    }

    /// Compensation: give the reserved stock back. If this fails too, the
    /// reservation still expires by itself in inventory.
    async fn release(&self, reservation: &str) {
        let call = Call {
            method: http::Method::DELETE,
            ..Call::get(format!("/reservations/{reservation}"), "/reservations/{id}")
        };
        if let Err(e) = self.inventory.call(call).await {
            tracing::warn!(%reservation, error = %e, "release failed; the reservation will expire");
        }
    }
}

#[derive(serde::Deserialize)]
struct Checkout {
    items: Vec<Item>,
}

async fn checkout(
    State(s): State<Orders>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: Checkout = parse_json(&body)?;
    if req.items.is_empty() {
        return Err(ApiError::bad_request("items must not be empty"));
    }
    let mut total = 0;
    for i in &req.items {
        if !(1..=100).contains(&i.quantity) {
            return Err(ApiError::bad_request(format!(
                "quantity of product {} must be from 1 to 100",
                i.product_id
            )));
        }
        let p = seed::product(i.product_id)
            .ok_or_else(|| ApiError::not_found(format!("no product {}", i.product_id)))?;
        total += p.price_cents * i.quantity;
    }
    let user_id = s.verify(&headers).await?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // A repeated checkout replays the first answer: no new quote for it.
    let replay = key
        .as_ref()
        .is_some_and(|k| s.lock().by_key.contains_key(&(user_id, k.clone())));
    let shipping = if replay {
        Value::Null
    } else {
        s.quote(&req.items).await?
    };
    s.ctx.faults.storage().await;
    let order = {
        let mut b = s.lock();
        if let Some(existing) = key
            .as_ref()
            .and_then(|k| b.by_key.get(&(user_id, k.clone())))
            .and_then(|id| b.orders.get(id))
        {
            // One key, one request: the same key with other items is a
            // client bug, not a retry (as payment APIs answer it).
            let mut asked: Vec<_> = req
                .items
                .iter()
                .map(|i| (i.product_id, i.quantity))
                .collect();
            let mut first = existing.items.clone();
            asked.sort_unstable();
            first.sort_unstable();
            if asked != first {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency key reused",
                    format!(
                        "this Idempotency-Key was first used for order {} with other items; use a new key for a new order",
                        existing.order_id
                    ),
                ));
            }
            return answer(existing.clone());
        }
        b.next += 1;
        let order = Order {
            order_id: format!("{}-{}", b.epoch, b.next),
            user_id,
            status: "pending",
            total_cents: total,
            items: req
                .items
                .iter()
                .map(|i| (i.product_id, i.quantity))
                .collect(),
            failure: None,
            failed_with: None,
            shipping,
        };
        b.orders.insert(order.order_id.clone(), order.clone());
        if let Some(k) = key {
            b.by_key.insert((user_id, k), order.order_id.clone());
        }
        order
    };
    // The saga runs in a task of its own: if the caller gives up and the
    // connection closes, the saga still finishes or compensates, instead of
    // being dropped half-way with stock reserved.
    let saga = {
        let (s, order, items) = (s.clone(), order.clone(), req.items.clone());
        let deadline = chaoslab_kit::http::deadline::current();
        let work = async move {
            match s.run(&order, &items).await {
                Ok(()) => {
                    let (done, row) = s.finish(&order.order_id, "confirmed", None);
                    s.publish_direct(row).await;
                    Ok(done.unwrap_or(order))
                }
                Err(e) => {
                    s.finish(&order.order_id, "failed", Some(&e));
                    Err(e)
                }
            }
        };
        // In the request's trace: the saga's calls are children of its span.
        tokio::spawn(chaoslab_kit::telemetry::in_current_trace(
            chaoslab_kit::http::deadline::scope(deadline, work),
        ))
    };
    match saga.await {
        Ok(result) => answer(result?),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "saga failed",
            format!("order {}: {e}", order.order_id),
        )),
    }
}

/// The answer for an order: a failed one replays the failure it had.
fn answer(o: Order) -> Result<(StatusCode, Json<Value>), ApiError> {
    match (o.status, o.failed_with) {
        ("failed", Some((status, error))) => {
            Err(ApiError::new(status, error, o.failure.unwrap_or_default()))
        }
        ("pending", _) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "in progress",
            format!(
                "order {} with this Idempotency-Key is still being processed",
                o.order_id
            ),
        )),
        _ => Ok((
            StatusCode::CREATED,
            Json(
                json!({ "order_id": o.order_id, "status": o.status, "total_cents": o.total_cents, "shipping": o.shipping }),
            ),
        )),
    }
}

async fn one(
    State(s): State<Orders>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user_id = s.verify(&headers).await?;
    let order = s.lock().orders.get(&id).cloned();
    let o = match order {
        Some(o) if o.user_id == user_id => o,
        _ => return Err(ApiError::not_found(format!("no order {id}"))),
    };
    let mut view = json!(o);
    view["shipments"] = s.shipments_of(&id).await;
    Ok(Json(view))
}
