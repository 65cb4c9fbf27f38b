//! One consumer of `order.placed`, shared by the shop's two (shipments and
//! notifications): a durable JetStream pull consumer that acknowledges a
//! message only after its work is done (at-least-once).
//!
//! ```text
//!  broker ─deliver─> process span (child of the publish) ─> seen before? (idempotency on) ─yes─> ack, no work
//!                         │ no
//!                         └─> latency / error_rate faults (route = the subject), poison? ─> as a failed work
//!                         └─> work ─ok─> remember id, ack (a duplicate_delivery fault: nak, delivered again)
//!                                  └─err─> delivered < MAX_ATTEMPTS or DLQ off: wait the backoff, nak (redelivered next)
//!                                          else: copy to dlq.order.placed, term (the rest flows)
//! ```
//!
//! One message is in flight at a time by default (`max_in_flight` 1, the
//! consumer's `max_ack_pending`): the queue keeps its order, so a message
//! that never succeeds (a poison message) holds everything behind it
//! unless the dead-letter queue is on. More in flight (the setting, up to
//! 64) works that many at once: a backlog drains that many times faster,
//! in no fixed order. Both
//! switches are the service's settings, read for each message and changed
//! at runtime with `PUT /admin/settings`: `honour_idempotency_keys`
//! (idempotency per message id) and `dead_letter_queue`.

use super::{DEAD_LETTER_STREAM, ORDER_PLACED, OrderPlaced};
use async_nats::jetstream::{self, AckKind, consumer::pull};
use chaoslab_kit::{context::ServiceCtx, messaging, names};
use futures::StreamExt;
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};
use tracing::Instrument;

/// Deliveries of one message before it goes to the dead-letter queue (when on).
pub const MAX_ATTEMPTS: i64 = 3;
/// Redelivery delay after the first failure; doubled per attempt, at most 2 s
/// (below `ACK_WAIT`: the message is held unacknowledged meanwhile).
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// How often an idle consumer looks for a new `max_in_flight`.
const SETTINGS_LOOK: Duration = Duration::from_millis(200);
/// How long the broker waits for an ack before it redelivers.
const ACK_WAIT: Duration = Duration::from_secs(5);

/// Messages worked at once: the service's `max_in_flight` (1 to 64).
fn max_in_flight(ctx: &ServiceCtx) -> usize {
    ctx.settings().max_in_flight.clamp(1, 64) as usize
}

/// The work a consumer does for one event; an error makes it retried.
pub type Work = Arc<dyn Fn(&OrderPlaced, &str) -> Result<(), String> + Send + Sync>;

/// A running consumer's shared state.
pub struct Consumer {
    /// The durable consumer's name (its `queue` label).
    pub name: String,
    /// The service's settings hold the switches.
    ctx: Arc<ServiceCtx>,
    seen: Mutex<HashSet<String>>,
    work: Work,
    /// The durable consumer while connected, for [`Consumer::backlog`].
    handle: Mutex<Option<jetstream::consumer::Consumer<pull::Config>>>,
}

impl Consumer {
    pub fn new(name: &str, ctx: Arc<ServiceCtx>, work: Work) -> Arc<Self> {
        ctx.faults.set_consumer();
        Arc::new(Self {
            name: name.to_string(),
            ctx,
            seen: Mutex::default(),
            work,
            handle: Mutex::default(),
        })
    }

    /// Consumes from the broker at `url` until the process ends,
    /// reconnecting with backoff when the broker is gone.
    pub fn spawn(self: &Arc<Self>, url: String) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        // Counted from zero, so a rate (and a dashboard panel) exists
        // before the first redelivery or dead letter.
        for counter in [names::MESSAGING_REDELIVERED, names::MESSAGING_DEAD_LETTERED] {
            metrics::counter!(counter, names::label::QUEUE => me.name.clone()).increment(0);
        }
        tokio::spawn(async move {
            let mut backoff = FIRST_RETRY;
            loop {
                if let Err(e) = me.run(&url).await {
                    tracing::warn!(consumer = %me.name, error = %e, "consumer: broker unreachable; retrying");
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        })
    }

    async fn run(self: &Arc<Self>, url: &str) -> Result<(), String> {
        let js = super::jetstream(url, &self.name).await?;
        // The dead-letter stream exists before the first message can need it.
        js.get_or_create_stream(super::dead_letter_config())
            .await
            .map_err(|e| format!("stream {DEAD_LETTER_STREAM}: {e}"))?;
        let stream = js
            .get_stream(super::STREAM)
            .await
            .map_err(|e| format!("stream: {e}"))?;
        let in_flight = max_in_flight(&self.ctx);
        // Created, or updated to this `max_ack_pending` (the broker keeps
        // the durable consumer's place either way).
        let consumer = stream
            .create_consumer(pull::Config {
                durable_name: Some(self.name.clone()),
                filter_subject: ORDER_PLACED.into(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: ACK_WAIT,
                max_ack_pending: in_flight as i64,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("consumer {}: {e}", self.name))?;
        *self.handle.lock().unwrap_or_else(|e| e.into_inner()) = Some(consumer.clone());
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| format!("messages: {e}"))?;
        let mut working = tokio::task::JoinSet::new();
        loop {
            // A new `max_in_flight` (looked at every 200 ms): finish what
            // is in hand, then the consumer is made again with it.
            if max_in_flight(&self.ctx) != in_flight {
                while working.join_next().await.is_some() {}
                return Err(format!(
                    "max_in_flight changed to {}",
                    max_in_flight(&self.ctx)
                ));
            }
            let next = tokio::time::timeout(SETTINGS_LOOK, messages.next()).await;
            let Ok(next) = next else { continue };
            let Some(m) = next else { break };
            let m = m.map_err(|e| format!("delivery: {e}"))?;
            let me = self.clone();
            let js = js.clone();
            working.spawn(async move { me.handle(&js, m).await });
            while working.len() >= in_flight {
                working.join_next().await;
            }
        }
        Err("the broker closed the subscription".into())
    }

    async fn handle(&self, js: &jetstream::Context, m: jetstream::Message) {
        let (delivered, pending) = m.info().map(|i| (i.delivered, i.pending)).unwrap_or((1, 0));
        let queue = self.name.clone();
        metrics::gauge!(names::MESSAGING_QUEUE_DEPTH, names::label::QUEUE => queue.clone())
            .set(pending as f64);
        let headers: Vec<(String, String)> = m
            .message
            .headers
            .iter()
            .flat_map(|h| h.iter())
            .filter_map(|(k, v)| Some((k.to_string(), v.first()?.to_string())))
            .collect();
        let id = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Nats-Msg-Id"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let span = messaging::process_span(
            ORDER_PLACED,
            &self.name,
            &id,
            delivered,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let started = std::time::Instant::now();
        async {
            if delivered > 1 {
                metrics::counter!(names::MESSAGING_REDELIVERED, names::label::QUEUE => queue.clone())
                    .increment(1);
            }
            let settings = self.ctx.settings();
            let idempotent = settings.honour_idempotency_keys;
            if idempotent && self.seen().contains(&id) {
                tracing::info!(message_id = %id, "already processed: acknowledged without work");
                let _ = m.ack().await;
                return;
            }
            let subject = m.message.subject.as_str();
            // The request faults act on the work as on a request whose
            // route is the subject: latency slows it, error_rate fails it.
            let injected = self.ctx.faults.before_request(subject).await;
            let outcome = if self.ctx.faults.poisoned(subject, &id) {
                Err("cannot handle the message (a poison_message fault)".to_string())
            } else if injected.is_some() {
                Err("failed (an error_rate fault)".to_string())
            } else {
                serde_json::from_slice::<OrderPlaced>(&m.message.payload)
                    .map_err(|e| format!("cannot read the event: {e}"))
                    .and_then(|event| (self.work)(&event, &id))
            };
            match outcome {
                Ok(()) => {
                    self.seen().insert(id.clone());
                    if self.ctx.faults.redeliver(subject, delivered) {
                        // The work is done but the broker is not told: it
                        // delivers the same message (sequence, id) again.
                        tracing::info!(message_id = %id, "done; not acknowledged (duplicate_delivery): delivered again");
                        let _ = m.ack_with(AckKind::Nak(None)).await;
                    } else {
                        let _ = m.ack().await;
                    }
                    metrics::counter!(
                        names::MESSAGING_CONSUMED,
                        names::label::MESSAGING_DESTINATION => ORDER_PLACED,
                        names::label::MESSAGING_CONSUMER => queue.clone(),
                    )
                    .increment(1);
                }
                Err(e) => {
                    messaging::record_error(&tracing::Span::current(), "processing_failed");
                    if settings.dead_letter_queue && delivered >= MAX_ATTEMPTS {
                        self.dead_letter(js, &m, &e).await;
                    } else {
                        // The backoff is waited with the message still
                        // unacknowledged, so nothing overtakes it (a nak
                        // with a delay would let the next message through).
                        let delay = (FIRST_RETRY * 2u32.pow((delivered.clamp(1, 5) - 1) as u32))
                            .min(Duration::from_secs(2));
                        tracing::warn!(message_id = %id, delivered, error = %e, "work failed; redelivered in {delay:?}");
                        tokio::time::sleep(delay).await;
                        let _ = m.ack_with(AckKind::Nak(None)).await;
                    }
                }
            }
        }
        .instrument(span)
        .await;
        metrics::histogram!(
            names::MESSAGING_OPERATION_DURATION,
            names::label::MESSAGING_OPERATION => "process",
            names::label::MESSAGING_DESTINATION => ORDER_PLACED,
        )
        .record(started.elapsed().as_secs_f64());
    }

    /// Copies `m` to the dead-letter stream, then ends its deliveries.
    async fn dead_letter(&self, js: &jetstream::Context, m: &jetstream::Message, error: &str) {
        let subject = format!("dlq.{}.{ORDER_PLACED}", self.name);
        let mut headers = m.message.headers.clone().unwrap_or_default();
        headers.insert("Dead-Letter-Reason", error);
        // Each consumer's copy is a message of its own: with the original
        // id the stream's duplicate window would drop the second copy.
        let original = headers
            .get("Nats-Msg-Id")
            .map(|v| v.to_string())
            .unwrap_or_default();
        headers.insert("Nats-Msg-Id", format!("{}:{original}", self.name).as_str());
        headers.insert("Dead-Letter-Original-Id", original.as_str());
        let stored = async {
            js.get_or_create_stream(super::dead_letter_config())
                .await
                .map_err(|e| e.to_string())?;
            js.publish_with_headers(subject.clone(), headers, m.message.payload.clone())
                .await
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        match stored {
            Ok(_) => {
                let _ = m.ack_with(AckKind::Term).await;
                metrics::counter!(names::MESSAGING_DEAD_LETTERED, names::label::QUEUE => self.name.clone())
                    .increment(1);
                tracing::warn!(%subject, %error, "dead-lettered after {MAX_ATTEMPTS} attempts");
            }
            Err(e) => {
                // Not stored: it stays first in the queue, tried again.
                tracing::error!(error = %e, stream = DEAD_LETTER_STREAM, "cannot dead-letter; left in the queue");
                tokio::time::sleep(FIRST_RETRY).await;
                let _ = m.ack_with(AckKind::Nak(None)).await;
            }
        }
    }

    /// The messages the broker holds for this consumer that it has not
    /// finished: not yet delivered plus delivered and not acknowledged
    /// (`None` when the broker cannot say within a second).
    pub async fn backlog(&self) -> Option<u64> {
        let mut c = self
            .handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let info = tokio::time::timeout(Duration::from_secs(1), c.info())
            .await
            .ok()?
            .ok()?;
        Some(info.num_pending + info.num_ack_pending as u64)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}
