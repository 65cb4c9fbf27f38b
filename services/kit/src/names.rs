//! Every metric name and label the lab emits, written down once.
//!
//! The rule: HTTP metrics follow the OpenTelemetry semantic conventions as
//! rendered in the Prometheus text format (dots become underscores, the unit
//! becomes a suffix). Lab-specific metrics are `<area>_<thing>_<unit|total>`,
//! where the area is `resilience`, `chaos`, `loadgen` or `toxiproxy` (the last
//! kept exactly as Toxiproxy names them, so existing dashboards work).
//! Every series carries a `service` label naming the process that emitted it.

/// Histogram of server-side request durations, in seconds.
pub const HTTP_SERVER_DURATION: &str = "http_server_request_duration_seconds";
/// Histogram of client-side (outgoing) request durations, in seconds.
pub const HTTP_CLIENT_DURATION: &str = "http_client_request_duration_seconds";
/// Gauge of requests being served right now.
pub const HTTP_SERVER_ACTIVE: &str = "http_server_active_requests";

// The resilience policies' names, written in their crate (it cannot depend
// on this one).
pub use chaoslab_resilience::names::{
    BULKHEAD_IN_FLIGHT as RESILIENCE_BULKHEAD_IN_FLIGHT, CALLS as RESILIENCE_CALLS,
    CIRCUIT_STATE as RESILIENCE_CIRCUIT_STATE, RETRIES as RESILIENCE_RETRIES,
};

/// Gauge of active faults, by `target` and `kind`.
pub const CHAOS_FAULTS_ACTIVE: &str = "chaos_faults_active";
/// Counter of faults injected into traffic, by `target` and `kind`.
pub const CHAOS_INJECTIONS: &str = "chaos_injections_total";
/// Toxiproxy's byte counters, by `direction`, `listener`, `proxy`, `upstream`.
pub const TOXIPROXY_RECEIVED_BYTES: &str = "toxiproxy_proxy_received_bytes_total";
/// See [`TOXIPROXY_RECEIVED_BYTES`].
pub const TOXIPROXY_SENT_BYTES: &str = "toxiproxy_proxy_sent_bytes_total";

/// Counter of load-generator requests, by `journey` and `outcome`.
pub const LOADGEN_REQUESTS: &str = "loadgen_requests_total";
/// Histogram of journey latency from the intended send time, by `journey`.
pub const LOADGEN_DURATION: &str = "loadgen_request_duration_seconds";

/// The advisory buckets of the HTTP duration histograms, in seconds.
pub const HTTP_DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// What the HTTP conventions record for a method outside the known set.
pub const OTHER_METHOD: &str = "_OTHER";

/// The method as a metric label or a span's `http.request.method`: one of
/// the methods the HTTP conventions know (exact case), else [`OTHER_METHOD`].
/// The method is the client's to choose, so a label taken from it verbatim
/// would make a new series for every made-up method.
pub fn http_method(raw: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|m| *m == raw)
        .unwrap_or(OTHER_METHOD)
}

/// Label names shared across metrics.
pub mod label {
    pub const SERVICE: &str = "service";
    pub const METHOD: &str = "http_request_method";
    pub const ROUTE: &str = "http_route";
    pub const STATUS: &str = "http_response_status_code";
    /// Client side: the logical name of the callee ("users", "payments"), not
    /// a host, because every call goes through a proxy on 127.0.0.1.
    pub const SERVER_ADDRESS: &str = "server_address";
    pub const ERROR_TYPE: &str = "error_type";
    pub use chaoslab_resilience::names::{DEPENDENCY, OUTCOME};
    pub const TARGET: &str = "target";
    pub const KIND: &str = "kind";
    pub const JOURNEY: &str = "journey";
    pub const MESSAGING_DESTINATION: &str = "messaging_destination_name";
    pub const MESSAGING_OPERATION: &str = "messaging_operation_name";
    pub const MESSAGING_CONSUMER: &str = "messaging_consumer_group_name";
    pub const QUEUE: &str = "queue";

    /// Every label name above: what a dashboard query may use.
    pub const ALL: &[&str] = &[
        SERVICE,
        METHOD,
        ROUTE,
        STATUS,
        SERVER_ADDRESS,
        ERROR_TYPE,
        DEPENDENCY,
        OUTCOME,
        TARGET,
        KIND,
        JOURNEY,
        MESSAGING_DESTINATION,
        MESSAGING_OPERATION,
        MESSAGING_CONSUMER,
        QUEUE,
    ];
}

/// Messages published to the broker and acknowledged by it (semconv
/// `messaging.client.sent.messages`), by `messaging_destination_name`.
pub const MESSAGING_SENT: &str = "messaging_client_sent_messages_total";
/// Messages a consumer processed and acknowledged (semconv
/// `messaging.client.consumed.messages`), by destination and consumer.
pub const MESSAGING_CONSUMED: &str = "messaging_client_consumed_messages_total";
/// Histogram of publish and process durations, in seconds, by
/// `messaging_operation_name` (semconv `messaging.client.operation.duration`).
pub const MESSAGING_OPERATION_DURATION: &str = "messaging_client_operation_duration_seconds";
/// The end of an outbox's `queue` label (`orders.outbox`): a producer's
/// own queue, not a consumer's.
pub const OUTBOX_QUEUE_SUFFIX: &str = ".outbox";

/// Messages waiting in the outbox or in a consumer's queue, by `queue`.
pub const MESSAGING_QUEUE_DEPTH: &str = "messaging_queue_depth";
/// Deliveries of a message seen before (a redelivery), by `queue`.
pub const MESSAGING_REDELIVERED: &str = "messaging_redelivered_total";
/// Messages moved to the dead-letter queue, by `queue`.
pub const MESSAGING_DEAD_LETTERED: &str = "messaging_dead_lettered_total";

/// Histogram of the time from an order's confirmation to its shipment, in
/// seconds (shipments, from the event's `placed_at_ms`).
pub const SHOP_ORDER_TO_SHIPMENT: &str = "shop_order_to_shipment_duration_seconds";

/// Names on spans. The rule: an injected fault is recorded as one span
/// event named [`span::FAULT_EVENT`] on the span it hit (the proxy's span
/// for proxy faults, the request span for in-service faults); no other
/// event or attribute name starts with `chaos.`, so a reader (the hub's
/// FAULT mark, the faults-only filter) can trust that name alone. The
/// event's attributes say which fault it was.
pub mod span {
    /// The event that records an injected fault.
    pub const FAULT_EVENT: &str = "chaos.fault";
    /// On the fault event: the fault's kind (`latency`, `abort`, `error_rate`, ...).
    pub const FAULT_KIND: &str = "fault.kind";
    /// On the fault event: the fault's id, when it has one.
    pub const FAULT_ID: &str = "fault.id";
    /// On the fault event: the service or proxy it was set on.
    pub const FAULT_TARGET: &str = "fault.target";
    /// On a proxy's span: the proxy's name (its callee).
    pub const PROXY_NAME: &str = "proxy.name";
    /// HTTP spans' semantic-convention attributes.
    pub const HTTP_METHOD: &str = "http.request.method";
    /// The method as sent, when `http.request.method` says `_OTHER`.
    pub const HTTP_METHOD_ORIGINAL: &str = "http.request.method_original";
    pub const HTTP_ROUTE: &str = "http.route";
    pub const HTTP_STATUS: &str = "http.response.status_code";
    pub const HTTP_RESEND_COUNT: &str = "http.resend_count";
    pub const URL_FULL: &str = "url.full";
    pub const URL_PATH: &str = "url.path";
    /// On a client span: the callee, by its name in the lab.
    pub const PEER_SERVICE: &str = "peer.service";
}

/// Every metric name above, for checks that a dashboard or rule refers only
/// to metrics the lab emits.
pub const ALL_METRICS: &[&str] = &[
    HTTP_SERVER_DURATION,
    HTTP_CLIENT_DURATION,
    HTTP_SERVER_ACTIVE,
    RESILIENCE_CALLS,
    RESILIENCE_RETRIES,
    RESILIENCE_CIRCUIT_STATE,
    RESILIENCE_BULKHEAD_IN_FLIGHT,
    CHAOS_FAULTS_ACTIVE,
    CHAOS_INJECTIONS,
    TOXIPROXY_RECEIVED_BYTES,
    TOXIPROXY_SENT_BYTES,
    LOADGEN_REQUESTS,
    LOADGEN_DURATION,
    MESSAGING_SENT,
    MESSAGING_CONSUMED,
    MESSAGING_OPERATION_DURATION,
    MESSAGING_QUEUE_DEPTH,
    MESSAGING_REDELIVERED,
    MESSAGING_DEAD_LETTERED,
    SHOP_ORDER_TO_SHIPMENT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_method_is_kept_and_any_other_is_other() {
        for m in ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] {
            assert_eq!(http_method(m), m);
        }
        // Methods are case-sensitive: `get` is not GET.
        for m in ["PURGE", "PURGE1", "get", "", "GET "] {
            assert_eq!(http_method(m), OTHER_METHOD, "{m:?}");
        }
    }
}
