//! W3C `traceparent` (and `tracestate`) in and out of `http::HeaderMap`s,
//! for every process of the lab that carries a trace over HTTP.
//!
//! The SDK's W3C propagator is used as it is, not looked up in the global
//! registry on each request: the lab speaks W3C trace context only (which
//! `telemetry::init` also installs globally, for libraries), and the global
//! lookup takes a lock that the two cores of a small machine then share.

use http::HeaderMap;
use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
};
use opentelemetry_sdk::propagation::TraceContextPropagator;

struct Extract<'a>(&'a HeaderMap);
impl Extractor for Extract<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct Inject<'a>(&'a mut HeaderMap);
impl Injector for Inject<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(k, v);
        }
    }
}

/// The remote parent context carried by `headers`, if any.
pub fn extract(headers: &HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&Extract(headers))
}

/// Writes `cx` into `headers` as `traceparent` (and `tracestate`).
pub fn inject(cx: &Context, headers: &mut HeaderMap) {
    TraceContextPropagator::new().inject_context(cx, &mut Inject(headers));
}
