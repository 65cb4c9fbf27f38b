//! payments: charges at a simulated, slow payment provider.
//!
//! | route | does |
//! |---|---|
//! | `POST /charges {"order_id","user_id","amount_cents"}` | 201 `{"charge_id","status"}`; with `Idempotency-Key`, the same key charges once (the replay answers 200 and `"replayed": true`, and a concurrent duplicate waits for the first) |
//! | `GET /charges?order_id=` | the charges made, for audits and tests |
//! | `GET /charges/audit` | `{"charges","orders","orders_charged_more_than_once","extra_charges"}`: duplicate charges counted per order |
//! | `POST /charges/{id}/refund` | refunds (compensation) |
//!
//! The provider takes 20 ms plus an exponential tail (mean 15 ms), and
//! declines (402) a charge above 10,000.00.

use crate::{error::ApiError, error::parse_json};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use chaoslab_kit::context::ServiceCtx;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::OnceCell;

const DECLINE_ABOVE_CENTS: u64 = 1_000_000;

#[derive(Debug, Clone, Serialize)]
struct Charge {
    charge_id: String,
    order_id: String,
    user_id: u64,
    amount_cents: u64,
    status: &'static str,
}

/// What one Idempotency-Key came to: the charge, or the refusal.
type Outcome = Arc<OnceCell<Result<Charge, (StatusCode, String)>>>;

#[derive(Default)]
struct Ledger {
    charges: Vec<Charge>,
    /// Idempotency-Key -> the one outcome of that key.
    keys: HashMap<String, Outcome>,
}

#[derive(Clone)]
struct Payments {
    ctx: Arc<ServiceCtx>,
    ledger: Arc<Mutex<Ledger>>,
}

pub fn router(ctx: Arc<ServiceCtx>) -> Router {
    Router::new()
        .route("/charges", post(charge).get(list))
        .route("/charges/audit", get(audit))
        .route("/charges/{id}/refund", post(refund))
        .with_state(Payments {
            ctx,
            ledger: Default::default(),
        })
}

#[derive(Deserialize, Clone)]
struct ChargeReq {
    order_id: String,
    user_id: u64,
    amount_cents: u64,
}

impl Payments {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Talks to the (simulated) provider and books the charge.
    async fn execute(&self, req: ChargeReq) -> Result<Charge, (StatusCode, String)> {
        let tail: f64 = -15.0 * (1.0 - rand::rng().random::<f64>()).ln();
        tokio::time::sleep(
            Duration::from_millis(20) + Duration::from_micros((tail.min(500.0) * 1000.0) as u64),
        )
        .await;
        self.ctx.faults.storage().await;
        if req.amount_cents > DECLINE_ABOVE_CENTS {
            return Err((
                StatusCode::PAYMENT_REQUIRED,
                format!("the provider declined {} cents", req.amount_cents),
            ));
        }
        let mut l = self.lock();
        let charge = Charge {
            charge_id: format!("ch-{}", l.charges.len() + 1),
            order_id: req.order_id,
            user_id: req.user_id,
            amount_cents: req.amount_cents,
            status: "succeeded",
        };
        l.charges.push(charge.clone());
        Ok(charge)
    }
}

async fn charge(
    State(s): State<Payments>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: ChargeReq = parse_json(&body)?;
    if req.amount_cents == 0 {
        return Err(ApiError::bad_request("amount_cents must be positive"));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty());
    let honour = s.ctx.settings().honour_idempotency_keys;
    let outcome = match key.filter(|_| honour) {
        Some(key) => {
            let cell = s.lock().keys.entry(key.to_string()).or_default().clone();
            let mut first = false;
            let out = cell
                .get_or_init(|| {
                    first = true;
                    s.execute(req)
                })
                .await
                .clone();
            out.map(|c| (c, !first))
        }
        None => s.execute(req).await.map(|c| (c, false)),
    };
    match outcome {
        Ok((c, replayed)) => {
            let status = if replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((
                status,
                Json(json!({ "charge_id": c.charge_id, "status": c.status, "replayed": replayed })),
            ))
        }
        Err((status, reason)) => Err(ApiError::new(status, "payment declined", reason)),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    order_id: Option<String>,
}

async fn list(State(s): State<Payments>, Query(q): Query<ListQuery>) -> Json<Value> {
    let l = s.lock();
    let charges: Vec<&Charge> = l
        .charges
        .iter()
        .filter(|c| q.order_id.as_ref().is_none_or(|o| &c.order_id == o))
        .collect();
    Json(json!(charges))
}

/// Duplicate charges, counted per order: an order charged more than once
/// (refunds aside) is a customer who paid twice.
async fn audit(State(s): State<Payments>) -> Json<Value> {
    let l = s.lock();
    let mut per_order: HashMap<&str, u64> = HashMap::new();
    for c in l.charges.iter().filter(|c| c.status == "succeeded") {
        *per_order.entry(c.order_id.as_str()).or_default() += 1;
    }
    let twice = per_order.values().filter(|&&n| n > 1).count();
    let extra: u64 = per_order.values().map(|n| n.saturating_sub(1)).sum();
    Json(json!({
        "charges": l.charges.len(),
        "orders": per_order.len(),
        "orders_charged_more_than_once": twice,
        "extra_charges": extra,
    }))
}

async fn refund(
    State(s): State<Payments>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut l = s.lock();
    let c = l
        .charges
        .iter_mut()
        .find(|c| c.charge_id == id)
        .ok_or_else(|| ApiError::not_found(format!("no charge {id}")))?;
    c.status = "refunded";
    Ok(Json(json!({ "charge_id": id, "status": "refunded" })))
}
