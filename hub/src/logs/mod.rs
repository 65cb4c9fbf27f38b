//! Logs, the third signal: OTLP log records of any sender, kept in a store
//! bounded in bytes ([`store`]) with their trace and span ids, and served by
//! `/api/logs`.
//!
//! ```text
//!  OTLP logs request ──convert (values cut)──> Vec<StoredLog> ──> LogStore (byte budget)
//!                                                                   │
//!            /api/logs?service=&level=&trace_id=&span_id=&q= <──────┘
//! ```

pub mod store;

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;

use crate::traces::convert::{
    Interner, Limits, ResourceCache, any_to_json, convert_attrs, service_name,
};
use crate::traces::ids::{SpanId, TraceId, span_id_from_bytes, trace_id_from_bytes};
use crate::traces::span::{Attribute, Resource};

pub use store::{LogFilter, LogStore};

/// One stored log record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLog {
    /// Arrival order, from 1; `after=` in the API pages on it.
    pub seq: u64,
    /// The record's time, else its observed time, Unix ns.
    pub time_unix_nano: u64,
    /// OTLP severity number (1-24; 0 unknown).
    pub severity: u8,
    pub severity_text: Arc<str>,
    pub body: Arc<str>,
    pub service: Arc<str>,
    /// 0 when the record has none.
    pub trace_id: TraceId,
    /// 0 when the record has none.
    pub span_id: SpanId,
    pub attributes: Vec<Attribute>,
    pub resource: Resource,
}

/// Severity numbers where each level starts (OTLP's table).
pub const LEVELS: [(&str, u8); 6] = [
    ("TRACE", 1),
    ("DEBUG", 5),
    ("INFO", 9),
    ("WARN", 13),
    ("ERROR", 17),
    ("FATAL", 21),
];

/// The level name of a severity number (`""` for 0).
pub fn level_name(severity: u8) -> &'static str {
    LEVELS
        .iter()
        .rev()
        .find(|(_, n)| severity >= *n)
        .map(|(l, _)| *l)
        .unwrap_or("")
}

/// The severity number a level name starts at (`warn`, `WARNING`, `err`...).
pub fn parse_level(s: &str) -> Option<u8> {
    let u = s.trim().to_ascii_uppercase();
    let u = match u.as_str() {
        "WARNING" => "WARN",
        "ERR" => "ERROR",
        "CRITICAL" | "CRIT" => "FATAL",
        other => other,
    };
    LEVELS.iter().find(|(l, _)| *l == u).map(|(_, n)| *n)
}

impl StoredLog {
    /// Heap bytes this record holds (its strings and attributes), as
    /// [`crate::traces::span::alloc_size`] counts them.
    pub fn heap_bytes(&self) -> usize {
        use crate::traces::span::alloc_size;
        std::mem::size_of::<Self>()
            + alloc_size(self.body.len() + 16)
            + alloc_size(self.severity_text.len() + 16)
            + alloc_size(std::mem::size_of_val(self.attributes.as_slice()))
            + self
                .attributes
                .iter()
                .map(|a| match &a.value {
                    crate::traces::span::AttrValue::Str(s) => alloc_size(s.len() + 16),
                    crate::traces::span::AttrValue::Json(_) => 128,
                    _ => 0,
                })
                .sum::<usize>()
    }
}

/// The outcome of converting one request.
#[derive(Debug, Default)]
pub struct ConvertedLogs {
    pub records: Vec<StoredLog>,
    /// Services that sent, with their `telemetry.sdk.language`.
    pub services: Vec<(String, Option<String>)>,
    pub truncated: usize,
}

/// Converts a logs export (sequence numbers are set by the store).
pub fn convert(
    req: ExportLogsServiceRequest,
    limits: Limits,
    resources: &ResourceCache,
) -> ConvertedLogs {
    let mut out = ConvertedLogs::default();
    let mut interner = Interner::new(limits);
    for rl in req.resource_logs {
        let attrs = rl.resource.map(|r| r.attributes).unwrap_or_default();
        let service = interner.get(service_name(&attrs));
        let language = crate::traces::convert::string_attr(&attrs, "telemetry.sdk.language");
        out.services.push((service.to_string(), language));
        let resource = resources.get(convert_attrs(attrs, &mut interner));
        for sl in rl.scope_logs {
            for r in sl.log_records {
                let body = match r.body.and_then(|b| b.value) {
                    Some(any_value::Value::StringValue(s)) => interner.capped(s),
                    None => Arc::from(""),
                    other => interner.capped(any_to_json(other).to_string()),
                };
                let text = interner.get(&r.severity_text);
                let severity = match r.severity_number.clamp(0, 24) as u8 {
                    0 => parse_level(&r.severity_text).unwrap_or(0),
                    n => n,
                };
                let time = if r.time_unix_nano != 0 {
                    r.time_unix_nano
                } else {
                    r.observed_time_unix_nano
                };
                out.records.push(StoredLog {
                    seq: 0,
                    time_unix_nano: time,
                    severity,
                    severity_text: text,
                    body,
                    service: service.clone(),
                    trace_id: trace_id_from_bytes(&r.trace_id).unwrap_or(0),
                    span_id: span_id_from_bytes(&r.span_id).unwrap_or(0),
                    attributes: convert_attrs(r.attributes, &mut interner),
                    resource: resource.clone(),
                });
            }
        }
    }
    out.truncated = interner.truncated;
    out
}
