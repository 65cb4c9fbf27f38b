//! The outbox: events written with the state change they announce, kept
//! until the broker has them. Orders writes a row while it holds its order
//! book's lock, in the same critical section that confirms the order, so
//! an order is never confirmed without its event (nor the other way
//! round); the relay ([`super::relay`]) takes rows in order and removes
//! each once the broker acknowledged it.

use chaoslab_kit::names;
use std::{collections::VecDeque, sync::Mutex, time::Instant};
use tokio::sync::Notify;

/// One event waiting for the broker.
#[derive(Debug, Clone)]
pub struct Row {
    /// The message id (`Nats-Msg-Id`): the broker stores one message per id.
    pub message_id: String,
    pub subject: &'static str,
    pub payload: Vec<u8>,
    /// The W3C trace context of the request that wrote it.
    pub context: Vec<(String, String)>,
    pub written: Instant,
}

/// The rows not yet accepted by the broker, oldest first.
#[derive(Debug)]
pub struct Outbox {
    /// The `queue` label of its depth gauge.
    queue: String,
    rows: Mutex<VecDeque<Row>>,
    wake: Notify,
}

impl Outbox {
    pub fn new(queue: impl Into<String>) -> Self {
        Self {
            queue: queue.into(),
            rows: Mutex::default(),
            wake: Notify::new(),
        }
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, VecDeque<Row>> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn gauge(&self, depth: usize) {
        metrics::gauge!(names::MESSAGING_QUEUE_DEPTH, names::label::QUEUE => self.queue.clone())
            .set(depth as f64);
    }

    /// Adds `row` (call it inside the critical section of the change it announces).
    pub fn write(&self, row: Row) {
        let depth = {
            let mut rows = self.rows();
            rows.push_back(row);
            rows.len()
        };
        self.gauge(depth);
        self.wake.notify_one();
    }

    /// The oldest row, if any.
    pub fn first(&self) -> Option<Row> {
        self.rows().front().cloned()
    }

    /// Removes the row `message_id` (the broker has it).
    pub fn remove(&self, message_id: &str) {
        let depth = {
            let mut rows = self.rows();
            rows.retain(|r| r.message_id != message_id);
            rows.len()
        };
        self.gauge(depth);
    }

    pub fn len(&self) -> usize {
        self.rows().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until a row is written (or returns at once if one was written
    /// since the last wait).
    pub async fn written(&self) {
        self.wake.notified().await
    }
}
