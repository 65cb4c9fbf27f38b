//! Traces start at the user: each journey is a root client span named after
//! it, every request it sends carries that trace in `traceparent`, and each
//! journey is its own trace.

mod support;

use opentelemetry::trace::{SpanKind, TraceId, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{config, run_for, start_shop, weighted};
use tracing_subscriber::layer::SubscriberExt;

/// Keeps every exported span in memory.
#[derive(Debug, Clone, Default)]
struct Capture(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Capture {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_journey_is_a_root_span_whose_context_reaches_the_shop() {
    let capture = Capture::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(capture.clone())
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let (url, shop) = start_shop().await;
    let cfg = weighted(config(&url, 50.0), &[("checkout", 1.0)]);
    run_for(cfg, Duration::from_millis(400)).await;
    provider.force_flush().unwrap();

    let spans = capture.0.lock().unwrap().clone();
    let roots: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "journey checkout")
        .collect();
    assert!(roots.len() >= 15, "{} journey spans", roots.len());
    for root in &roots {
        assert_eq!(root.span_kind, SpanKind::Client);
        assert_eq!(
            root.parent_span_id,
            opentelemetry::trace::SpanId::INVALID,
            "a root span"
        );
    }
    let traces: HashSet<TraceId> = roots.iter().map(|s| s.span_context.trace_id()).collect();
    assert_eq!(traces.len(), roots.len(), "one trace per journey");

    // Every request carried a traceparent of one of those traces, and the
    // client span it names hangs under the journey.
    let by_id: HashMap<_, _> = spans
        .iter()
        .map(|s| (s.span_context.span_id(), s))
        .collect();
    let seen = shop.traceparents.lock().unwrap().clone();
    assert_eq!(seen.len() as u64, shop.total_hits());
    for tp in seen {
        let tp = tp.expect("every request carries traceparent");
        let parts: Vec<&str> = tp.split('-').collect();
        let trace = TraceId::from_hex(parts[1]).unwrap();
        assert!(traces.contains(&trace), "{tp} belongs to a journey");
        let span_id = opentelemetry::trace::SpanId::from_hex(parts[2]).unwrap();
        let client = by_id.get(&span_id).expect("the sending span was exported");
        assert_eq!(client.span_kind, SpanKind::Client);
        assert!(
            client.name == "POST /api/login" || client.name == "POST /api/checkout",
            "{}",
            client.name
        );
        assert_eq!(by_id[&client.parent_span_id].name, "journey checkout");
    }
}
