//! Test support: a hub on ephemeral ports, an `eventually` helper, OTLP
//! request builders and a raw gRPC sender for malformed payloads.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use chaoslab_contract::client::HubClient;
use chaoslab_hub::{Hub, HubConfig};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A hub serving its API, OTLP/gRPC and OTLP/HTTP on 127.0.0.1:0, stopped
/// when dropped.
pub struct TestHub {
    pub hub: Arc<Hub>,
    pub api: SocketAddr,
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    _stop: watch::Sender<bool>,
}

fn stopper(rx: &watch::Receiver<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut rx = rx.clone();
    async move {
        let _ = rx.changed().await;
    }
}

impl TestHub {
    /// Starts the servers; with `scrape` the scraper runs too.
    pub async fn start(cfg: HubConfig, scrape: bool) -> Self {
        let hub = Hub::try_new(cfg).expect("valid config");
        let (tx, rx) = watch::channel(false);
        let bind = || async { TcpListener::bind("127.0.0.1:0").await.unwrap() };
        let (a, g, h) = (bind().await, bind().await, bind().await);
        let (api, grpc, http) = (
            a.local_addr().unwrap(),
            g.local_addr().unwrap(),
            h.local_addr().unwrap(),
        );
        tokio::spawn(chaoslab_hub::serve_api(a, hub.clone(), stopper(&rx)));
        tokio::spawn(chaoslab_hub::serve_otlp_grpc(g, hub.clone(), stopper(&rx)));
        tokio::spawn(chaoslab_hub::serve_otlp_http(h, hub.clone(), stopper(&rx)));
        if scrape {
            tokio::spawn(chaoslab_hub::run_scraper(hub.clone(), stopper(&rx)));
        }
        Self {
            hub,
            api,
            grpc,
            http,
            _stop: tx,
        }
    }

    pub fn client(&self) -> HubClient {
        HubClient::new(&format!("http://{}", self.api)).unwrap()
    }

    pub fn api_url(&self, path: &str) -> String {
        format!("http://{}{}", self.api, path)
    }
}

#[allow(unused_imports)]
pub use chaoslab_testkit::eventually;

pub fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

pub fn str_val(s: &str) -> any_value::Value {
    any_value::Value::StringValue(s.into())
}

/// A span description for [`export`].
#[derive(Clone)]
pub struct S {
    pub trace: u128,
    pub id: u64,
    pub parent: u64,
    pub name: &'static str,
    pub start_ms: u64,
    pub dur_ms: u64,
    pub error: bool,
    pub fault_event: bool,
}

impl S {
    pub fn new(trace: u128, id: u64, parent: u64, start_ms: u64, dur_ms: u64) -> Self {
        Self {
            trace,
            id,
            parent,
            name: "op",
            start_ms,
            dur_ms,
            error: false,
            fault_event: false,
        }
    }
}

/// One export from `service` holding `spans`.
pub fn export(service: &str, spans: &[S]) -> ExportTraceServiceRequest {
    let base = 1_700_000_000_000_000_000u64;
    let spans = spans
        .iter()
        .map(|s| Span {
            trace_id: s.trace.to_be_bytes().to_vec(),
            span_id: s.id.to_be_bytes().to_vec(),
            parent_span_id: if s.parent == 0 {
                Vec::new()
            } else {
                s.parent.to_be_bytes().to_vec()
            },
            name: s.name.into(),
            kind: 2,
            start_time_unix_nano: base + s.start_ms * 1_000_000,
            end_time_unix_nano: base + (s.start_ms + s.dur_ms) * 1_000_000,
            attributes: vec![kv("http.route", str_val("/x"))],
            events: if s.fault_event {
                vec![span::Event {
                    name: chaoslab_kit::names::span::FAULT_EVENT.into(),
                    time_unix_nano: base + s.start_ms * 1_000_000,
                    attributes: vec![kv("fault.kind", str_val("latency"))],
                    ..Default::default()
                }]
            } else {
                Vec::new()
            },
            status: Some(Status {
                code: if s.error { 2 } else { 0 },
                message: String::new(),
            }),
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", str_val(service))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[allow(unused_imports)] // used by some of the test binaries that share this module
pub use chaoslab_hub::bench::grpc_raw_export;
