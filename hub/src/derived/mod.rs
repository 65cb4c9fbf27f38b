//! Numbers the hub derives from OTLP itself, beside the scraped ones:
//! RED per service and route and the service graph from spans
//! ([`spans`]), and from OTLP HTTP duration metrics ([`otlp_metrics`]).
//!
//! Both are kept as cumulative histograms and written into the series
//! store at every scrape tick, as two more targets ([`Source`]), so rates
//! and percentiles come from the same arithmetic as scraped metrics.
//!
//! ## One number per service, never two
//!
//! A service (for edges: a caller → callee pair) takes its numbers from
//! one source only, the first that has any in the window, in this order:
//! scraped Prometheus metrics, then OTLP metrics, then spans. The lab's own
//! services are scraped and send spans: their numbers are the scraped
//! ones, and their spans add nothing to them. An OTLP-only sender gets its
//! numbers from its metrics when it sends the semconv histograms, from its
//! spans otherwise. Client-side OTLP metrics make an edge only when their
//! `server_address` names a service the hub knows, since most senders put
//! a host there.

pub mod hist;
pub mod otlp_metrics;
pub mod spans;

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Where a series came from, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Scraped,
    OtlpMetrics,
    Spans,
}

impl Source {
    /// Every source, the preferred first.
    pub const ALL: [Source; 3] = [Source::Scraped, Source::OtlpMetrics, Source::Spans];

    /// The series-store target key of a derived source.
    pub fn target_key(self) -> Option<&'static str> {
        match self {
            Source::Scraped => None,
            Source::OtlpMetrics => Some("otlp://metrics"),
            Source::Spans => Some("otlp://spans"),
        }
    }

    /// The source of a series-store target key.
    pub fn of_target(key: &str) -> Source {
        match key {
            "otlp://metrics" => Source::OtlpMetrics,
            "otlp://spans" => Source::Spans,
            _ => Source::Scraped,
        }
    }

    /// The name the API shows.
    pub fn name(self) -> &'static str {
        match self {
            Source::Scraped => "prometheus",
            Source::OtlpMetrics => "otlp_metrics",
            Source::Spans => "spans",
        }
    }
}

/// A service the hub heard from over OTLP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// When it last sent anything, Unix ms.
    pub last_unix_ms: u64,
    /// `telemetry.sdk.language` of its resource, when given.
    pub sdk_language: Option<String>,
    /// Which signals it sent: spans, metrics, logs.
    pub signals: Vec<&'static str>,
}

/// The derived state, shared by the receivers and the scrape tick.
#[derive(Debug, Default)]
pub struct Derived {
    pub spans: Mutex<spans::SpanRed>,
    pub metrics: Mutex<otlp_metrics::OtlpMetrics>,
    pub seen: Mutex<BTreeMap<String, Seen>>,
}

impl Derived {
    /// Notes that `service` sent `signal` now.
    pub fn saw(&self, service: &str, signal: &'static str, language: Option<&str>, now_ms: u64) {
        let mut g = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if g.len() >= 10_000 && !g.contains_key(service) {
            return; // a sender inventing names: stop learning new ones
        }
        let e = g.entry(service.to_string()).or_default();
        e.last_unix_ms = now_ms;
        if !e.signals.contains(&signal) {
            e.signals.push(signal);
        }
        if let Some(l) = language {
            e.sdk_language = Some(l.to_string());
        }
    }

    /// The services heard from.
    pub fn seen(&self) -> BTreeMap<String, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
