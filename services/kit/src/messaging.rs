//! Telemetry of messages, per the OpenTelemetry messaging conventions: the
//! producer span (`publish <destination>`, kind producer) and the consumer
//! span (`process <destination>`, kind consumer), W3C trace context carried
//! in the message's headers, and the metric names (in [`crate::names`]).
//!
//! ```text
//!  checkout span ──(outbox row keeps its traceparent)──> publish order.placed  (producer)
//!        traceparent in the message headers ──> process order.placed (consumer, child of publish)
//! ```
//!
//! Headers are plain `(name, value)` pairs so any client's header type can
//! be filled from them and read into them.

use crate::http::propagation;
use http::HeaderMap;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// `messaging.system` of the lab's broker.
pub const SYSTEM_NATS: &str = "nats";

/// The W3C trace context now current (a request's server span, or an
/// entered `tracing` span), as message headers.
pub fn current_context_headers() -> Vec<(String, String)> {
    headers_of(&opentelemetry::Context::current())
}

/// The W3C trace context of `span`, as message headers.
pub fn context_headers(span: &tracing::Span) -> Vec<(String, String)> {
    headers_of(&span.context())
}

fn headers_of(cx: &opentelemetry::Context) -> Vec<(String, String)> {
    let mut headers = HeaderMap::new();
    propagation::inject(cx, &mut headers);
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

fn header_map<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            map.insert(k, v);
        }
    }
    map
}

/// A producer span `publish <destination>`, child of the context carried by
/// `parent` (the headers kept with an outbox row).
pub fn publish_span<'a>(
    destination: &str,
    message_id: &str,
    parent: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> tracing::Span {
    let span = tracing::info_span!(
        "publish",
        otel.name = format!("publish {destination}"),
        otel.kind = "producer",
        otel.status_code = Empty,
        messaging.system = SYSTEM_NATS,
        messaging.operation.type = "send",
        messaging.operation.name = "publish",
        messaging.destination.name = %destination,
        messaging.message.id = %message_id,
        error.type = Empty,
    );
    let _ = span.set_parent(propagation::extract(&header_map(parent)));
    span
}

/// A consumer span `process <destination>` for a message delivered for the
/// `delivery`th time, child of the trace context in its headers.
pub fn process_span<'a>(
    destination: &str,
    consumer: &str,
    message_id: &str,
    delivery: i64,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> tracing::Span {
    let span = tracing::info_span!(
        "process",
        otel.name = format!("process {destination}"),
        otel.kind = "consumer",
        otel.status_code = Empty,
        messaging.system = SYSTEM_NATS,
        messaging.operation.type = "process",
        messaging.operation.name = "process",
        messaging.destination.name = %destination,
        messaging.consumer.group.name = %consumer,
        messaging.message.id = %message_id,
        messaging.message.delivery_count = delivery,
        error.type = Empty,
    );
    let _ = span.set_parent(propagation::extract(&header_map(headers)));
    span
}

/// Marks `span` failed with `error_type`.
pub fn record_error(span: &tracing::Span, error_type: &str) {
    span.record("otel.status_code", "ERROR");
    span.record("error.type", error_type);
}
