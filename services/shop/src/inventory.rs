//! inventory: stock levels and reservations that expire.
//!
//! | route | does |
//! |---|---|
//! | `GET /stock/{id}` | `{"product_id","available"}` |
//! | `POST /reservations {"order_id","items":[{"product_id","quantity"}]}` | 201 `{"reservation_id"}`; idempotent per order; 409 when short |
//! | `POST /reservations/{id}/commit` | the stock is sold |
//! | `DELETE /reservations/{id}` | released (compensation); 204 |
//! | `GET /reservations` | `{"open","units"}`: uncommitted reservations and the units they hold |
//!
//! An uncommitted reservation is released by itself after `RESERVATION_TTL`
//! (times the service's `time_scale` setting, so a run at half time sees
//! half the expiry), so stock held by a crashed saga comes back.

use crate::{error::ApiError, error::parse_json, seed};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use chaoslab_kit::context::ServiceCtx;
use serde::Deserialize;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::time::Instant;

pub const RESERVATION_TTL: Duration = Duration::from_secs(30);

#[derive(Deserialize, Clone)]
pub struct Item {
    pub product_id: u64,
    pub quantity: u64,
}

struct Reservation {
    order_id: String,
    items: Vec<Item>,
    expires: Instant,
    committed: bool,
}

#[derive(Default)]
struct Store {
    available: HashMap<u64, u64>,
    reservations: HashMap<String, Reservation>,
    next: u64,
}

impl Store {
    fn release(&mut self, id: &str) -> bool {
        match self.reservations.remove(id) {
            Some(r) if !r.committed => {
                for i in &r.items {
                    *self.available.entry(i.product_id).or_default() += i.quantity;
                }
                true
            }
            Some(_) => true,
            None => false,
        }
    }
}

#[derive(Clone)]
struct Inventory {
    ctx: Arc<ServiceCtx>,
    store: Arc<Mutex<Store>>,
}

pub fn router(ctx: Arc<ServiceCtx>) -> Router {
    let mut store = Store::default();
    for p in seed::PRODUCTS {
        store.available.insert(p.id, p.stock);
    }
    let store = Arc::new(Mutex::new(store));
    tokio::spawn(reap(Arc::downgrade(&store)));
    Router::new()
        .route("/stock/{id}", get(stock))
        .route("/reservations", post(reserve).get(held))
        .route("/reservations/{id}/commit", post(commit))
        .route("/reservations/{id}", axum::routing::delete(release))
        .with_state(Inventory { ctx, store })
}

/// Releases expired, uncommitted reservations once a second.
async fn reap(store: std::sync::Weak<Mutex<Store>>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(store) = store.upgrade() else { return };
        let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let expired: Vec<String> = s
            .reservations
            .iter()
            .filter(|(_, r)| !r.committed && r.expires <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for id in expired {
            tracing::info!(reservation = %id, "reservation expired; stock released");
            s.release(&id);
        }
    }
}

impl Inventory {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn stock(State(s): State<Inventory>, Path(id): Path<u64>) -> Result<Json<Value>, ApiError> {
    s.ctx.faults.storage().await;
    let n = s
        .lock()
        .available
        .get(&id)
        .copied()
        .ok_or_else(|| ApiError::not_found(format!("no product {id}")))?;
    Ok(Json(json!({ "product_id": id, "available": n })))
}

#[derive(Deserialize)]
struct Reserve {
    order_id: String,
    items: Vec<Item>,
}

async fn reserve(
    State(s): State<Inventory>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: Reserve = parse_json(&body)?;
    if req.items.is_empty() {
        return Err(ApiError::bad_request("items must not be empty"));
    }
    s.ctx.faults.storage().await;
    let mut st = s.lock();
    // The same order reserving again (a retry) gets the same reservation.
    if let Some((id, _)) = st
        .reservations
        .iter()
        .find(|(_, r)| r.order_id == req.order_id)
    {
        return Ok((
            StatusCode::CREATED,
            Json(json!({ "reservation_id": id, "replayed": true })),
        ));
    }
    // The same product may appear more than once: check the sum.
    let mut wanted: std::collections::BTreeMap<u64, u64> = Default::default();
    for i in &req.items {
        *wanted.entry(i.product_id).or_default() += i.quantity;
    }
    for (product, quantity) in &wanted {
        let have = st
            .available
            .get(product)
            .copied()
            .ok_or_else(|| ApiError::not_found(format!("no product {product}")))?;
        if have < *quantity {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "out of stock",
                format!("product {product} has {have} left, {quantity} asked"),
            ));
        }
    }
    for (product, quantity) in &wanted {
        if let Some(n) = st.available.get_mut(product) {
            *n -= quantity;
        }
    }
    st.next += 1;
    let id = format!("res-{}", st.next);
    let expires = Instant::now() + s.ctx.settings().scaled(RESERVATION_TTL);
    st.reservations.insert(
        id.clone(),
        Reservation {
            order_id: req.order_id,
            items: req.items,
            expires,
            committed: false,
        },
    );
    Ok((StatusCode::CREATED, Json(json!({ "reservation_id": id }))))
}

/// What uncommitted reservations hold now.
async fn held(State(s): State<Inventory>) -> Json<Value> {
    let st = s.lock();
    let open: Vec<&Reservation> = st.reservations.values().filter(|r| !r.committed).collect();
    let units: u64 = open
        .iter()
        .flat_map(|r| r.items.iter().map(|i| i.quantity))
        .sum();
    Json(json!({ "open": open.len(), "units": units }))
}

async fn commit(
    State(s): State<Inventory>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    s.ctx.faults.storage().await;
    let mut st = s.lock();
    let r = st
        .reservations
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("no reservation {id} (expired or released)")))?;
    r.committed = true;
    Ok(Json(json!({ "reservation_id": id, "status": "committed" })))
}

async fn release(State(s): State<Inventory>, Path(id): Path<String>) -> StatusCode {
    s.ctx.faults.storage().await;
    // Releasing twice, or after expiry, is fine: compensation must be idempotent.
    s.lock().release(&id);
    StatusCode::NO_CONTENT
}
