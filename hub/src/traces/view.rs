//! Views of stored traces in the API's shapes: summaries for listings and
//! full span lists for one trace.

use std::collections::BTreeMap;

use crate::api::types::{
    SpanEventView, SpanKind, SpanView, StatusCode, TraceDetail, TraceSummary, TracesResponse,
};

use super::ids::{TraceId, span_id_hex, trace_id_hex};
use super::span::{AttrValue, Attribute};
use super::store::{Trace, TraceFilter, TraceStore};

/// The summary of a stored trace.
pub fn summary(id: TraceId, t: &Trace) -> TraceSummary {
    let root = t.root_or_first();
    let mut services: Vec<String> = t.services.iter().map(|s| s.to_string()).collect();
    services.sort();
    TraceSummary {
        trace_id: trace_id_hex(id),
        root_service: root.map(|s| s.service.to_string()).unwrap_or_default(),
        root_name: root.map(|s| s.name.to_string()).unwrap_or_default(),
        root_present: t.root.is_some(),
        start_unix_nano: t.start,
        duration_ms: t.duration_ms(),
        span_count: t.spans.len(),
        services,
        has_error: t.has_error,
        has_fault: t.has_fault,
    }
}

/// Matching traces, newest start first, at most `limit`.
pub fn list(store: &TraceStore, filter: &TraceFilter, limit: usize) -> TracesResponse {
    let mut hits: Vec<(u64, TraceId)> = Vec::new();
    let matched = store.scan(filter, |id, t| hits.push((t.start, id)));
    hits.sort_unstable_by(|a, b| b.cmp(a));
    hits.truncate(limit);
    let traces = hits
        .into_iter()
        .filter_map(|(_, id)| store.with_trace(id, |t| summary(id, t)))
        .collect();
    TracesResponse { traces, matched }
}

/// One trace with every span, sorted by start.
pub fn detail(store: &TraceStore, id: TraceId) -> Option<TraceDetail> {
    store.with_trace(id, |t| {
        let mut spans: Vec<SpanView> = t
            .spans
            .iter()
            .map(|s| SpanView {
                span_id: span_id_hex(s.span_id),
                parent_span_id: (s.parent_id != 0).then(|| span_id_hex(s.parent_id)),
                service: s.service.to_string(),
                name: s.name.to_string(),
                kind: kind(s.kind),
                start_unix_nano: s.start_unix_nano,
                end_unix_nano: s.end_unix_nano,
                duration_ms: s.end_unix_nano.saturating_sub(s.start_unix_nano) as f64 / 1e6,
                status: match s.status {
                    1 => StatusCode::Ok,
                    2 => StatusCode::Error,
                    _ => StatusCode::Unset,
                },
                status_message: s.status_message.to_string(),
                attributes: attrs(&s.attributes),
                resource: attrs(&s.resource),
                events: {
                    let mut ev: Vec<SpanEventView> = s
                        .events
                        .iter()
                        .map(|e| SpanEventView {
                            name: e.name.to_string(),
                            time_unix_nano: e.time_unix_nano,
                            attributes: attrs(&e.attributes),
                        })
                        .collect();
                    ev.sort_by_key(|e| e.time_unix_nano);
                    ev
                },
            })
            .collect();
        spans.sort_by(|a, b| (a.start_unix_nano, &a.span_id).cmp(&(b.start_unix_nano, &b.span_id)));
        TraceDetail {
            summary: summary(id, t),
            spans,
        }
    })
}

fn kind(k: u8) -> SpanKind {
    match k {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

/// Attributes as a JSON map.
pub fn attrs(a: &[Attribute]) -> BTreeMap<String, serde_json::Value> {
    a.iter()
        .map(|a| {
            let v = match &a.value {
                AttrValue::Str(s) => serde_json::Value::String(s.to_string()),
                AttrValue::Int(i) => serde_json::Value::from(*i),
                AttrValue::F64(f) => serde_json::Value::from(*f),
                AttrValue::Bool(b) => serde_json::Value::Bool(*b),
                AttrValue::Json(j) => (**j).clone(),
            };
            (a.key.to_string(), v)
        })
        .collect()
}
