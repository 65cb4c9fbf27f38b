//! Conversion of an OTLP trace export into stored spans.
//!
//! Strings that repeat (attribute keys, service and span names, short
//! attribute values) are interned per request, so a batch of 512 spans from one service shares one copy of
//! each key. Spans with an invalid trace or span id (wrong length, all zero)
//! are rejected and counted, as OTLP's partial success allows. String
//! values longer than [`Limits::attr_value_max`] are cut there and counted,
//! so one huge attribute cannot fill the store.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;

use super::ids::{TraceId, span_id_from_bytes, trace_id_from_bytes};
use super::span::{AttrValue, Attribute, INTERN_MAX_LEN, Resource, StoredEvent, StoredSpan};

/// What conversion cuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest string value kept (attributes, event attributes, log bodies),
    /// in bytes; longer ones are cut and marked.
    pub attr_value_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            attr_value_max: 4096,
        }
    }
}

/// The outcome of converting one request.
#[derive(Debug, Default)]
pub struct Converted {
    /// Valid spans with their trace ids.
    pub spans: Vec<(TraceId, StoredSpan)>,
    /// Spans dropped for invalid ids.
    pub rejected: usize,
    /// String values cut to [`Limits::attr_value_max`].
    pub truncated: usize,
}

/// Resources seen lately, so the spans of every request from one process
/// share one copy of its resource attributes. Cleared when it grows past
/// [`ResourceCache::MAX`] (a sender that changes its resource on every
/// request then costs one copy per request, as without the cache).
#[derive(Debug, Default)]
pub struct ResourceCache(Mutex<HashMap<String, Resource>>);

impl ResourceCache {
    const MAX: usize = 1024;

    /// The shared copy of these attributes.
    pub fn get(&self, attrs: Vec<Attribute>) -> Resource {
        let key = format!("{attrs:?}");
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = g.get(&key) {
            return r.clone();
        }
        if g.len() >= Self::MAX {
            g.clear();
        }
        let r: Resource = Arc::from(attrs);
        g.insert(key, r.clone());
        r
    }
}

/// Shares one `Arc<str>` per distinct string within a request, and cuts
/// long values.
#[derive(Default)]
pub(crate) struct Interner {
    /// foldhash: a fast hash with a per-process random seed; SipHash cost
    /// a tenth of the ingest path here (about 15 look-ups a span).
    set: HashSet<Arc<str>, foldhash::fast::RandomState>,
    limits: Limits,
    /// Values cut so far.
    pub truncated: usize,
}

impl Interner {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            set: HashSet::default(),
            limits,
            truncated: 0,
        }
    }

    /// `s`, cut to the value limit (at a character boundary) with a note of
    /// how much was dropped.
    pub(crate) fn capped(&mut self, s: String) -> Arc<str> {
        let max = self.limits.attr_value_max;
        if s.len() <= max {
            return Arc::from(s);
        }
        self.truncated += 1;
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        Arc::from(format!("{}…[{} bytes cut]", &s[..cut], s.len() - cut))
    }

    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.set.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.set.insert(a.clone());
        a
    }
}

/// The name used when a resource carries no `service.name`.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// `service.name` of a resource's attributes, or [`UNKNOWN_SERVICE`].
pub fn service_name(attrs: &[KeyValue]) -> &str {
    attrs
        .iter()
        .find_map(|kv| match kv.key.as_str() {
            "service.name" => match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) if !s.is_empty() => Some(s.as_str()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or(UNKNOWN_SERVICE)
}

/// Converts a whole request, consuming it.
pub fn convert_request(
    req: ExportTraceServiceRequest,
    limits: Limits,
    resources: &ResourceCache,
) -> Converted {
    let mut out = Converted::default();
    let mut interner = Interner::new(limits);
    for rs in req.resource_spans {
        let attrs = rs.resource.map(|r| r.attributes).unwrap_or_default();
        let service = interner.get(service_name(&attrs));
        let resource = resources.get(convert_attrs(attrs, &mut interner));
        for ss in rs.scope_spans {
            out.spans.reserve(ss.spans.len());
            for span in ss.spans {
                match convert_span(span, &service, &resource, &mut interner) {
                    Some(s) => out.spans.push(s),
                    None => out.rejected += 1,
                }
            }
        }
    }
    out.truncated = interner.truncated;
    out
}

fn convert_span(
    span: Span,
    service: &Arc<str>,
    resource: &Resource,
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
        Some(st) => (
            st.code.clamp(0, 2) as u8,
            Box::from(&*interner.capped(st.message)),
        ),
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
            resource: resource.clone(),
            name: if span.name.len() <= INTERN_MAX_LEN {
                interner.get(&span.name)
            } else {
                interner.capped(span.name)
            },
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

pub(crate) fn convert_attrs(kvs: Vec<KeyValue>, interner: &mut Interner) -> Vec<Attribute> {
    // A fresh list of the exact size: collecting in place into the
    // decoded list's buffer would shrink it with a realloc per span.
    let mut out = Vec::with_capacity(kvs.len());
    for kv in kvs {
        out.push(Attribute {
            key: interner.get(&kv.key),
            value: convert_value(kv.value, interner),
        });
    }
    out
}

pub(crate) fn convert_value(v: Option<AnyValue>, interner: &mut Interner) -> AttrValue {
    match v.and_then(|v| v.value) {
        Some(any_value::Value::StringValue(s)) if s.len() <= INTERN_MAX_LEN => {
            AttrValue::Str(interner.get(&s))
        }
        Some(any_value::Value::StringValue(s)) => AttrValue::Str(interner.capped(s)),
        Some(any_value::Value::IntValue(i)) => AttrValue::Int(i),
        Some(any_value::Value::DoubleValue(d)) => AttrValue::F64(d),
        Some(any_value::Value::BoolValue(b)) => AttrValue::Bool(b),
        other => {
            let j = any_to_json(other);
            let text = j.to_string();
            if text.len() > interner.limits.attr_value_max {
                AttrValue::Str(interner.capped(text))
            } else {
                AttrValue::Json(Box::new(j))
            }
        }
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

/// A string attribute of a resource, if present.
pub fn string_attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find_map(|kv| {
        if kv.key != key {
            return None;
        }
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    })
}
