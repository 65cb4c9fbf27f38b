//! The two consumers of `order.placed`, each its own built-in service and
//! both built on one consumer ([`crate::events::consumer`]): `shipments`
//! creates a shipment for the order, `notifications` records the
//! confirmation email it sent. Each keeps what it made in memory and lists
//! it by order (`GET /shipments?order_id=ID`, `GET /emails?order_id=ID`);
//! orders shows the shipments in its order view. `GET /shipments/audit`
//! (and `/emails/audit`) counts the harm the event lessons probe: orders
//! handled more than once, orders whose event never came (a gap in the
//! events' `confirmed_seq`), and the backlog the broker holds.
//!
//! They are Rust, not part of the Node.js shipping service (which quotes
//! prices): one consumer written once, with one JetStream client, serves
//! both, and the idempotency and dead-letter switches are the same
//! `/admin/settings` as every Rust service's.

use crate::{
    Upstreams,
    events::{OrderPlaced, consumer::Consumer, now_ms},
};
use axum::{
    Json, Router,
    extract::{Query, State},
    routing::get,
};
use chaoslab_kit::{context::ServiceCtx, names};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// What a consumer service makes per event.
struct Kind {
    /// The durable consumer's name (and its `queue` label).
    consumer: &'static str,
    /// Where its records are listed.
    path: &'static str,
    /// The record for an event (`seq`: its number in this service).
    make: fn(&OrderPlaced, &str, u64) -> Value,
}

const SHIPMENTS: Kind = Kind {
    consumer: "shipments",
    path: "/shipments",
    make: |e, message_id, seq| {
        let latency = now_ms().saturating_sub(e.placed_at_ms) as f64 / 1000.0;
        metrics::histogram!(names::SHOP_ORDER_TO_SHIPMENT).record(latency);
        json!({ "shipment_id": format!("ship-{seq}"), "order_id": e.order_id, "items": e.items, "message_id": message_id, "confirmed_seq": e.confirmed_seq, "epoch": e.epoch, "created_at_ms": now_ms() })
    },
};

const NOTIFICATIONS: Kind = Kind {
    consumer: "notifications",
    path: "/emails",
    make: |e, message_id, seq| json!({ "email_id": format!("email-{seq}"), "order_id": e.order_id, "user_id": e.user_id, "subject": format!("Your order {} is confirmed", e.order_id), "message_id": message_id, "confirmed_seq": e.confirmed_seq, "epoch": e.epoch, "sent_at_ms": now_ms() }),
};

/// `shipments`: a shipment per `order.placed`.
pub fn shipments(ctx: Arc<ServiceCtx>, up: &Upstreams) -> anyhow::Result<Router> {
    router(&SHIPMENTS, ctx, up)
}

/// `notifications`: a confirmation email per `order.placed`.
pub fn notifications(ctx: Arc<ServiceCtx>, up: &Upstreams) -> anyhow::Result<Router> {
    router(&NOTIFICATIONS, ctx, up)
}

type Store = Arc<Mutex<Vec<Value>>>;

/// What the routes read: the records, and the consumer (none without a broker).
#[derive(Clone)]
struct Shared {
    store: Store,
    consumer: Option<Arc<Consumer>>,
}

fn router(kind: &'static Kind, ctx: Arc<ServiceCtx>, up: &Upstreams) -> anyhow::Result<Router> {
    let store: Store = Store::default();
    let mut consumer = None;
    // Without a broker in the lab there is nothing to consume: an empty list.
    if let Some((_, url)) = up.broker()
        && tokio::runtime::Handle::try_current().is_ok()
    {
        let records = store.clone();
        let work = Arc::new(move |e: &OrderPlaced, id: &str| {
            let mut r = records.lock().unwrap_or_else(|p| p.into_inner());
            let seq = r.len() as u64 + 1;
            r.push((kind.make)(e, id, seq));
            Ok(())
        });
        let c = Consumer::new(kind.consumer, ctx, work);
        c.spawn(url.to_string());
        consumer = Some(c);
    }
    Ok(Router::new()
        .route(kind.path, get(list))
        .route(&format!("{}/audit", kind.path), get(audit))
        .with_state(Shared { store, consumer }))
}

async fn list(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let all = s.store.lock().unwrap_or_else(|p| p.into_inner());
    let picked: Vec<&Value> = all
        .iter()
        .filter(|r| {
            q.get("order_id")
                .is_none_or(|id| r["order_id"] == id.as_str())
        })
        .collect();
    Json(json!(picked))
}

/// The counts of `GET {path}/audit`:
/// - `records`, `orders`: what was made, for how many orders;
/// - `orders_more_than_once`, `extra_records`: orders handled twice or
///   more, and the records beyond one per order (duplicates);
/// - `orders_missing`: orders confirmed before the newest one seen whose
///   event never came (numbers missing from the events' `confirmed_seq`,
///   counted within each incarnation of orders, its `epoch`: a restarted
///   orders counts from 1 again);
/// - `backlog`: events the broker holds that are not handled yet (`null`
///   when the broker cannot say).
async fn audit(State(s): State<Shared>) -> Json<Value> {
    let (records, per_order, missing) = {
        let all = s.store.lock().unwrap_or_else(|p| p.into_inner());
        let mut per_order: HashMap<String, u64> = HashMap::new();
        // Per incarnation of orders: the confirmed numbers seen.
        let mut seqs: HashMap<&str, std::collections::BTreeSet<u64>> = HashMap::new();
        for r in all.iter() {
            *per_order
                .entry(r["order_id"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
            if let Some(n) = r["confirmed_seq"].as_u64().filter(|n| *n > 0) {
                let epoch = r["epoch"].as_str().unwrap_or_default();
                seqs.entry(epoch).or_default().insert(n);
            }
        }
        let missing: u64 = seqs
            .values()
            .map(|s| s.last().copied().unwrap_or(0) - s.len() as u64)
            .sum();
        (all.len() as u64, per_order, missing)
    };
    let backlog = match &s.consumer {
        Some(c) => c.backlog().await,
        None => Some(0),
    };
    Json(json!({
        "records": records,
        "orders": per_order.len(),
        "orders_more_than_once": per_order.values().filter(|n| **n > 1).count(),
        "extra_records": records - per_order.len() as u64,
        "orders_missing": missing,
        "backlog": backlog,
    }))
}
