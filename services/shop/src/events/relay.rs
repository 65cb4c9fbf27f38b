//! The relay: publishes the outbox's rows to the broker, oldest first, and
//! removes each once the broker acknowledged it (a JetStream publish ack:
//! the message is stored in the stream). A connection that cannot be made,
//! a publish that fails or an ack that does not come within 2 s leave the
//! row where it is; the relay backs off (100 ms doubling to 2 s) and tries
//! again on a new connection. Each attempt is a producer span
//! (`publish order.placed`) under the trace of the checkout that wrote the
//! row, and its context goes on in the message's `traceparent` header.
//!
//! [`Direct`] is the other way, for the lesson that shows why the outbox
//! exists (`publish_via_outbox` off): the checkout publishes the event
//! itself once the order is confirmed, and an event the broker does not
//! take (down, cut) is lost: there is no row to try again.

use super::outbox::{Outbox, Row};
use async_nats::jetstream;
use chaoslab_kit::{messaging, names};
use std::{sync::Arc, time::Duration};
use tracing::Instrument;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long the broker has to acknowledge a publish.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// Starts the relay of `outbox` to the broker at `url`, as `client`.
pub fn spawn(url: String, client: String, outbox: Arc<Outbox>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { run(&url, &client, &outbox).await })
}

async fn run(url: &str, client: &str, outbox: &Outbox) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        // Nothing to send: no connection needed.
        while outbox.is_empty() {
            outbox.written().await;
        }
        let js = match super::jetstream(url, client).await {
            Ok(js) => js,
            Err(e) => {
                tracing::warn!(error = %e, pending = outbox.len(), "outbox: broker unreachable; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        // Relay until the outbox is empty or a publish fails.
        while let Some(row) = outbox.first() {
            match publish(&js, &row, ACK_TIMEOUT).await {
                Ok(()) => {
                    outbox.remove(&row.message_id);
                    backoff = FIRST_BACKOFF;
                }
                Err(e) => {
                    tracing::warn!(error = %e, message_id = %row.message_id, "outbox: publish failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    break;
                }
            }
        }
    }
}

/// How long a checkout's own publish waits for the broker's ack.
const DIRECT_ACK_TIMEOUT: Duration = Duration::from_millis(500);

/// A publisher used by the checkout itself (a dual write): one connection,
/// made on first use and dropped (with anything it buffered) when a
/// publish fails.
pub struct Direct {
    url: String,
    client: String,
    js: tokio::sync::Mutex<Option<jetstream::Context>>,
}

impl Direct {
    pub fn new(url: &str, client: &str) -> Self {
        Self {
            url: url.to_string(),
            client: client.to_string(),
            js: Default::default(),
        }
    }

    /// Publishes `row` once; an error means the event is lost.
    pub async fn publish(&self, row: &Row) -> Result<(), String> {
        let mut js = self.js.lock().await;
        let context = match js.as_ref() {
            Some(c) => c.clone(),
            None => {
                let c = tokio::time::timeout(
                    DIRECT_ACK_TIMEOUT,
                    super::jetstream(&self.url, &self.client),
                )
                .await
                .map_err(|_| "no broker within the publish's wait".to_string())??;
                *js = Some(c.clone());
                c
            }
        };
        let result = publish(&context, row, DIRECT_ACK_TIMEOUT).await;
        if result.is_err() {
            *js = None;
        }
        result
    }
}

/// One publish of `row`, waited for until the broker's ack (`ack_timeout`).
async fn publish(js: &jetstream::Context, row: &Row, ack_timeout: Duration) -> Result<(), String> {
    let span = messaging::publish_span(
        row.subject,
        &row.message_id,
        row.context.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let mut headers = async_nats::HeaderMap::new();
    for (k, v) in messaging::context_headers(&span) {
        headers.insert(k.as_str(), v.as_str());
    }
    let message = jetstream::message::PublishMessage::build()
        .payload(row.payload.clone().into())
        .headers(headers)
        .message_id(&row.message_id);
    let started = std::time::Instant::now();
    let result = async {
        let ack = js
            .send_publish(row.subject, message)
            .await
            .map_err(|e| format!("publish: {e}"))?;
        tokio::time::timeout(ack_timeout, ack)
            .await
            .map_err(|_| format!("no ack from the broker within {ack_timeout:?}"))?
            .map_err(|e| format!("ack: {e}"))
    }
    .instrument(span.clone())
    .await;
    metrics::histogram!(
        names::MESSAGING_OPERATION_DURATION,
        names::label::MESSAGING_OPERATION => "publish",
        names::label::MESSAGING_DESTINATION => row.subject,
    )
    .record(started.elapsed().as_secs_f64());
    match result {
        Ok(ack) => {
            metrics::counter!(
                names::MESSAGING_SENT,
                names::label::MESSAGING_DESTINATION => row.subject,
            )
            .increment(1);
            tracing::debug!(parent: &span, seq = ack.sequence, duplicate = ack.duplicate, "published");
            Ok(())
        }
        Err(e) => {
            messaging::record_error(&span, "publish_failed");
            Err(e)
        }
    }
}
