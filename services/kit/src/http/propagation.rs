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
        // The propagator writes `tracestate` even when it is empty; an
        // empty header says nothing.
        if value.is_empty() {
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TraceContextExt as _;

    const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_traceparent_goes_round_with_its_tracestate() {
        let cx = extract(&headers(&[
            ("traceparent", PARENT),
            ("tracestate", "lab=1"),
        ]));
        let sc = cx.span().span_context().clone();
        assert!(sc.is_remote() && sc.is_sampled());
        assert_eq!(
            sc.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        let mut out = HeaderMap::new();
        inject(&cx, &mut out);
        assert_eq!(out["traceparent"], PARENT);
        assert_eq!(out["tracestate"], "lab=1");
    }

    #[test]
    fn an_empty_tracestate_is_not_written() {
        let mut out = HeaderMap::new();
        inject(&extract(&headers(&[("traceparent", PARENT)])), &mut out);
        assert_eq!(out["traceparent"], PARENT);
        assert!(!out.contains_key("tracestate"), "{out:?}");
    }

    #[test]
    fn a_bad_or_missing_traceparent_is_no_parent_and_nothing_is_written() {
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ] {
            let cx = extract(&headers(&[("traceparent", bad)]));
            assert!(!cx.span().span_context().is_valid(), "{bad:?}");
            let mut out = HeaderMap::new();
            inject(&cx, &mut out);
            assert!(out.is_empty(), "{bad:?}: {out:?}");
        }
        assert!(!extract(&HeaderMap::new()).has_active_span());
    }
}
