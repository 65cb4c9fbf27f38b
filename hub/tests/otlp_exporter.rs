//! The official OpenTelemetry exporter's spans reach the hub over OTLP/gRPC
//! and OTLP/HTTP, from two "services" sharing one trace, and the hub
//! assembles them into one trace with its parent links, even though the
//! child service's spans arrive before the root.

mod support;

use std::time::Duration;

use chaoslab_contract::wire::hub::{SpanKind as ApiKind, StatusCode};
use chaoslab_hub::HubConfig;
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use support::{TestHub, eventually};

#[derive(Clone, Copy)]
enum Transport {
    Grpc,
    Http,
}

fn provider(th: &TestHub, t: Transport, service: &str) -> SdkTracerProvider {
    let exporter = match t {
        Transport::Grpc => SpanExporter::builder()
            .with_tonic()
            .with_endpoint(format!("http://{}", th.grpc))
            .build()
            .unwrap(),
        Transport::Http => SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("http://{}/v1/traces", th.http))
            .build()
            .unwrap(),
    };
    SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(exporter, runtime::Tokio).build())
        .with_resource(
            Resource::builder_empty()
                .with_service_name(service.to_string())
                .build(),
        )
        .build()
}

/// Flushes and stops a provider (blocking, so off the async threads).
async fn shutdown(p: SdkTracerProvider) {
    tokio::task::spawn_blocking(move || p.shutdown().expect("provider shutdown"))
        .await
        .unwrap();
}

async fn two_services_one_trace(t: Transport) {
    let th = TestHub::start(HubConfig::default(), false).await;
    let client = th.client();
    let gateway = provider(&th, t, "gateway");
    let users = provider(&th, t, "users");
    let gw_tracer = gateway.tracer("test");
    let users_tracer = users.tracer("test");

    let root = gw_tracer
        .span_builder("GET /api/me")
        .with_kind(SpanKind::Server)
        .start(&gw_tracer);
    let root_cx = Context::current_with_span(root);
    let trace_id = root_cx.span().span_context().trace_id().to_string();
    let root_id = root_cx.span().span_context().span_id().to_string();

    let call = gw_tracer
        .span_builder("GET users")
        .with_kind(SpanKind::Client)
        .start_with_context(&gw_tracer, &root_cx);
    let call_cx = root_cx.with_span(call);
    let call_id = call_cx.span().span_context().span_id().to_string();

    let mut served = users_tracer
        .span_builder("GET /users/me")
        .with_kind(SpanKind::Server)
        .with_attributes(vec![KeyValue::new("http.response.status_code", 503)])
        .start_with_context(&users_tracer, &call_cx);
    served.add_event(
        "chaos.fault",
        vec![
            KeyValue::new("fault.kind", "latency"),
            KeyValue::new("delay_ms", 250),
        ],
    );
    served.set_status(Status::error("upstream down"));
    let served_id = served.span_context().span_id().to_string();
    served.end();
    // The callee's span arrives first: the trace has no root yet.
    shutdown(users).await;
    let early = eventually("the users span", Duration::from_secs(10), || async {
        client.trace(&trace_id).await.ok()
    })
    .await;
    assert_eq!(early.spans.len(), 1);
    assert!(!early.summary.root_present);

    call_cx.span().end();
    root_cx.span().end();
    shutdown(gateway).await;

    let trace = eventually("all three spans", Duration::from_secs(10), || async {
        client
            .trace(&trace_id)
            .await
            .ok()
            .filter(|t| t.spans.len() == 3)
    })
    .await;
    let s = &trace.summary;
    assert_eq!(s.services, vec!["gateway", "users"]);
    assert!(s.root_present);
    assert_eq!(
        (s.root_service.as_str(), s.root_name.as_str()),
        ("gateway", "GET /api/me")
    );
    assert!(s.has_error && s.has_fault);
    assert_eq!(s.span_count, 3);

    let by_id = |id: &str| trace.spans.iter().find(|x| x.span_id == id).unwrap();
    let (r, c, u) = (by_id(&root_id), by_id(&call_id), by_id(&served_id));
    assert_eq!(r.parent_span_id, None);
    assert_eq!(c.parent_span_id.as_deref(), Some(root_id.as_str()));
    assert_eq!(u.parent_span_id.as_deref(), Some(call_id.as_str()));
    assert_eq!(
        (r.kind, c.kind, u.kind),
        (ApiKind::Server, ApiKind::Client, ApiKind::Server)
    );
    assert_eq!(u.service, "users");
    assert_eq!(u.status, StatusCode::Error);
    assert_eq!(u.status_message, "upstream down");
    assert_eq!(u.attributes["http.response.status_code"], 503);
    assert_eq!(u.events[0].name, "chaos.fault");
    assert_eq!(u.events[0].attributes["delay_ms"], 250);
    assert!(r.start_unix_nano <= u.start_unix_nano && u.end_unix_nano <= r.end_unix_nano);

    // The listing finds it by service, error and fault.
    let list = client
        .traces(&chaoslab_contract::client::TraceQuery {
            service: Some("users".into()),
            errors_only: true,
            faults_only: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(list.matched, 1);
    assert_eq!(list.traces[0].trace_id, trace_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporter_spans_arrive_over_grpc() {
    two_services_one_trace(Transport::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporter_spans_arrive_over_http_protobuf() {
    two_services_one_trace(Transport::Http).await;
}
