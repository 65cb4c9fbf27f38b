//! The order events: `order.placed` goes from orders, through a
//! transactional outbox and a relay, to the broker (NATS JetStream).
//!
//! ```text
//!  checkout ─> order confirmed + outbox row   (one critical section: both or neither)
//!                                  │
//!  relay task ─ connect, ensure stream ORDERS ─> publish order.placed (Nats-Msg-Id = message id,
//!       │                                        traceparent of the checkout) ─> broker ack ─> row removed
//!       └─ broker down or slow: the row stays; retried with backoff (100 ms doubling to 2 s)
//! ```
//!
//! Checkout never waits on the broker: it writes the row and answers. The
//! stream keeps a two-minute duplicate window on `Nats-Msg-Id`, so a row
//! published twice (the ack lost on the way back) is stored once.

pub mod consumer;
pub mod outbox;
pub mod relay;

use async_nats::jetstream;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The stream that keeps every order event.
pub const STREAM: &str = "ORDERS";
/// The subject (destination) of a placed order.
pub const ORDER_PLACED: &str = "order.placed";
/// The stream of messages no consumer could handle (`dlq.<consumer>.order.placed`).
pub const DEAD_LETTER_STREAM: &str = "ORDERS_DLQ";
/// How long the broker remembers a message id to drop a second publish of it.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The body of `order.placed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_id: String,
    pub user_id: u64,
    pub total_cents: u64,
    /// (product id, quantity)
    pub items: Vec<(u64, u64)>,
    /// When the order was confirmed (ms since the epoch): order-to-shipment
    /// latency is measured from here.
    pub placed_at_ms: u64,
    /// The order's number among the orders this orders process confirmed
    /// (1, 2, 3, ...): a consumer that sees 5 after 3 knows the event of
    /// order 4 was lost (`GET /shipments/audit`).
    #[serde(default)]
    pub confirmed_seq: u64,
    /// The orders process's incarnation `confirmed_seq` counts in (a
    /// restarted orders counts from 1 again).
    #[serde(default)]
    pub epoch: String,
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Connects to the broker at `url` (`nats://HOST:PORT`, the agent's proxy)
/// and makes sure the stream exists.
pub async fn jetstream(url: &str, name: &str) -> Result<jetstream::Context, String> {
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(1))
        .request_timeout(Some(Duration::from_secs(2)))
        .connect(url)
        .await
        .map_err(|e| format!("cannot connect to the broker at {url}: {e}"))?;
    let js = jetstream::new(client);
    js.get_or_create_stream(stream_config())
        .await
        .map_err(|e| format!("cannot create stream {STREAM}: {e}"))?;
    Ok(js)
}

/// The stream: every `order.*` subject, on disk, with the duplicate window.
pub fn stream_config() -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: STREAM.into(),
        subjects: vec!["order.>".into()],
        storage: jetstream::stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    }
}

/// The dead-letter stream: every `dlq.*` subject, on disk.
pub fn dead_letter_config() -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: DEAD_LETTER_STREAM.into(),
        subjects: vec!["dlq.>".into()],
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    }
}
