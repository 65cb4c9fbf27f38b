//! HTTP plumbing shared by every service: the server-side observation layer,
//! the resilient outgoing client, W3C trace-context carriers, and a
//! request method's span attributes (shared with the agent's HTTP proxies).

pub mod client;
pub mod deadline;
pub mod propagation;
pub mod server;

use crate::names;
use opentelemetry::KeyValue;

/// A request's method as the HTTP conventions record it: the bounded
/// method ([`names::http_method`]) for labels and span names, and the
/// span's attributes, `http.request.method` and, when that is `_OTHER`,
/// the method as sent in `http.request.method_original`.
pub fn method_attributes(raw: &str) -> (&'static str, impl Iterator<Item = KeyValue> + use<>) {
    let method = names::http_method(raw);
    let original = (method == names::OTHER_METHOD)
        .then(|| KeyValue::new(names::span::HTTP_METHOD_ORIGINAL, raw.to_owned()));
    let attributes = [
        Some(KeyValue::new(names::span::HTTP_METHOD, method)),
        original,
    ];
    (method, attributes.into_iter().flatten())
}
