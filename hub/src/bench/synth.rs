//! Synthetic OTLP trace exports shaped like a small shop's: six services, about
//! six spans per trace, the attributes an HTTP server and client span carry.
//! Encoded once; each round rewrites the first four bytes of every trace id
//! in place so that rounds add new traces instead of growing old ones.

use std::collections::HashSet;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use prost::Message;

/// The synthetic lab's services (neutral names: the hub knows no lab's).
pub const SERVICES: [&str; 6] = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
const SPANS_PER_TRACE: usize = 6;

/// A small xorshift generator (deterministic, no dependency).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

/// One export of `spans` spans from one service.
pub fn request(rng: &mut Rng, service_ix: usize, spans: usize) -> ExportTraceServiceRequest {
    let service = SERVICES[service_ix % SERVICES.len()];
    let now = 1_700_000_000_000_000_000u64 + rng.next() % 1_000_000_000_000;
    let mut out = Vec::with_capacity(spans);
    let mut trace_id = [0u8; 16];
    let mut parent = Vec::new();
    for i in 0..spans {
        if i % SPANS_PER_TRACE == 0 {
            trace_id[4..12].copy_from_slice(&rng.next().to_be_bytes());
            trace_id[12..16].copy_from_slice(&(rng.next() as u32 | 1).to_be_bytes());
            parent.clear();
        }
        let span_id = (rng.next() | 1).to_be_bytes().to_vec();
        let start = now + (i as u64) * 1_000_000;
        let error = rng.next().is_multiple_of(50);
        out.push(Span {
            trace_id: trace_id.to_vec(),
            span_id: span_id.clone(),
            parent_span_id: parent.clone(),
            name: "GET /api/products/{id}".into(),
            kind: if i % 2 == 0 { 2 } else { 3 },
            start_time_unix_nano: start,
            end_time_unix_nano: start + 2_000_000 + rng.next() % 50_000_000,
            attributes: vec![
                kv("http.request.method", s("GET")),
                kv("http.route", s("/api/products/{id}")),
                kv("url.path", s("/api/products/42")),
                kv(
                    "http.response.status_code",
                    any_value::Value::IntValue(if error { 500 } else { 200 }),
                ),
                kv("server.address", s("127.0.0.1")),
                kv("server.port", any_value::Value::IntValue(8082)),
                kv("network.protocol.version", s("1.1")),
                kv("user_agent.original", s("chaoslab-loadgen/0.1")),
            ],
            events: if error {
                vec![span::Event {
                    time_unix_nano: start + 1_000_000,
                    name: chaoslab_kit::names::span::FAULT_EVENT.into(),
                    attributes: vec![kv(
                        "fault.kind",
                        any_value::Value::StringValue("abort".into()),
                    )],
                    ..Default::default()
                }]
            } else {
                Vec::new()
            },
            status: Some(Status {
                code: if error { 2 } else { 0 },
                message: String::new(),
            }),
            ..Default::default()
        });
        parent = span_id;
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s(service)),
                    kv("telemetry.sdk.language", s("rust")),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: out,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// An encoded export and where its trace ids sit in the bytes.
#[derive(Clone)]
pub struct EncodedBatch {
    pub bytes: Vec<u8>,
    pub spans: usize,
    id_offsets: Vec<usize>,
}

impl EncodedBatch {
    pub fn new(req: &ExportTraceServiceRequest) -> Self {
        let ids: HashSet<&[u8]> = req
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|s| s.trace_id.as_slice())
            .collect();
        let spans = req
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        let bytes = req.encode_to_vec();
        let mut id_offsets = Vec::new();
        let mut i = 0;
        while i + 18 <= bytes.len() {
            if bytes[i] == 0x0a && bytes[i + 1] == 0x10 && ids.contains(&bytes[i + 2..i + 18]) {
                id_offsets.push(i + 2);
                i += 18;
            } else {
                i += 1;
            }
        }
        Self {
            bytes,
            spans,
            id_offsets,
        }
    }

    /// A copy whose trace ids carry `round` in their first four bytes.
    pub fn for_round(&self, round: u32) -> Vec<u8> {
        let mut b = self.bytes.clone();
        for &o in &self.id_offsets {
            b[o..o + 4].copy_from_slice(&round.to_be_bytes());
        }
        b
    }
}
