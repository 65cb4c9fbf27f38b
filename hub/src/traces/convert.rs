//! Conversion of an OTLP trace export into stored spans.
//!
//! Strings that repeat (attribute keys, service and span names, short
//! attribute values) are interned per request, so a batch of 512 spans from one service shares one copy of
//! each key. Spans with an invalid trace or span id (wrong length, all zero)
//! are rejected and counted, as OTLP's partial success allows.

use std::collections::HashSet;
use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;

use super::ids::{TraceId, span_id_from_bytes, trace_id_from_bytes};
use super::span::{AttrValue, Attribute, INTERN_MAX_LEN, StoredEvent, StoredSpan};

/// The outcome of converting one request.
#[derive(Debug, Default)]
pub struct Converted {
    /// Valid spans with their trace ids.
    pub spans: Vec<(TraceId, StoredSpan)>,
    /// Spans dropped for invalid ids.
    pub rejected: usize,
}

/// Shares one `Arc<str>` per distinct string within a request.
#[derive(Default)]
struct Interner(HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        a
    }
}

/// The name used when a resource carries no `service.name`.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Converts a whole request, consuming it.
pub fn convert_request(req: ExportTraceServiceRequest) -> Converted {
    let mut out = Converted::default();
    let mut interner = Interner::default();
    for rs in req.resource_spans {
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| {
                r.attributes.iter().find_map(|kv| match kv.key.as_str() {
                    "service.name" => match kv.value.as_ref()?.value.as_ref()? {
                        any_value::Value::StringValue(s) => Some(s.as_str()),
                        _ => None,
                    },
                    _ => None,
                })
            })
            .unwrap_or(UNKNOWN_SERVICE);
        let service = interner.get(service);
        for ss in rs.scope_spans {
            out.spans.reserve(ss.spans.len());
            for span in ss.spans {
                match convert_span(span, &service, &mut interner) {
                    Some(s) => out.spans.push(s),
                    None => out.rejected += 1,
                }
            }
        }
    }
    out
}

fn convert_span(
    span: Span,
    service: &Arc<str>,
    interner: &mut Interner,
) -> Option<(TraceId, StoredSpan)> {
    let trace_id = trace_id_from_bytes(&span.trace_id)?;
    let span_id = span_id_from_bytes(&span.span_id)?;
    let parent_id = if span.parent_span_id.is_empty() {
        0
    } else {
        span_id_from_bytes(&span.parent_span_id)?
    };
    let (status, status_message) = match span.status {
        Some(st) => (st.code.clamp(0, 2) as u8, st.message.into_boxed_str()),
        None => (0, Box::from("")),
    };
    let events = span
        .events
        .into_iter()
        .map(|e| StoredEvent {
            name: interner.get(&e.name),
            time_unix_nano: e.time_unix_nano,
            attributes: convert_attrs(e.attributes, interner),
        })
        .collect();
    Some((
        trace_id,
        StoredSpan {
            span_id,
            parent_id,
            service: service.clone(),
            name: interner.get(&span.name),
            kind: span.kind.clamp(0, 5) as u8,
            status,
            status_message,
            start_unix_nano: span.start_time_unix_nano,
            end_unix_nano: span.end_time_unix_nano.max(span.start_time_unix_nano),
            attributes: convert_attrs(span.attributes, interner),
            events,
        },
    ))
}

fn convert_attrs(kvs: Vec<KeyValue>, interner: &mut Interner) -> Vec<Attribute> {
    kvs.into_iter()
        .map(|kv| Attribute {
            key: interner.get(&kv.key),
            value: convert_value(kv.value, interner),
        })
        .collect()
}

fn convert_value(v: Option<AnyValue>, interner: &mut Interner) -> AttrValue {
    match v.and_then(|v| v.value) {
        Some(any_value::Value::StringValue(s)) if s.len() <= INTERN_MAX_LEN => {
            AttrValue::Str(interner.get(&s))
        }
        Some(any_value::Value::StringValue(s)) => AttrValue::Str(Arc::from(s)),
        Some(any_value::Value::IntValue(i)) => AttrValue::Int(i),
        Some(any_value::Value::DoubleValue(d)) => AttrValue::F64(d),
        Some(any_value::Value::BoolValue(b)) => AttrValue::Bool(b),
        other => AttrValue::Json(Box::new(any_to_json(other))),
    }
}

/// Any OTLP value as JSON (arrays and maps recursively; bytes as hex).
pub fn any_to_json(v: Option<any_value::Value>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        None | Some(any_value::Value::StringValueStrindex(_)) => J::Null,
        Some(any_value::Value::StringValue(s)) => J::String(s),
        Some(any_value::Value::IntValue(i)) => J::from(i),
        Some(any_value::Value::DoubleValue(d)) => J::from(d),
        Some(any_value::Value::BoolValue(b)) => J::Bool(b),
        Some(any_value::Value::BytesValue(b)) => {
            J::String(b.iter().map(|x| format!("{x:02x}")).collect())
        }
        Some(any_value::Value::ArrayValue(a)) => {
            J::Array(a.values.into_iter().map(|v| any_to_json(v.value)).collect())
        }
        Some(any_value::Value::KvlistValue(l)) => J::Object(
            l.values
                .into_iter()
                .map(|kv| (kv.key, any_to_json(kv.value.and_then(|v| v.value))))
                .collect(),
        ),
    }
}
