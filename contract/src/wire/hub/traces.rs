//! The hub's traces and logs as its query API answers them: trace listings
//! and details with their spans, log records, and latency heatmaps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- traces

/// One trace in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    /// 32 hex digits.
    pub trace_id: String,
    /// Service of the root span (or of the earliest span while the root has
    /// not arrived).
    pub root_service: String,
    /// Name of the root span (or earliest span).
    pub root_name: String,
    /// Whether the root span (no parent) has arrived.
    pub root_present: bool,
    /// Earliest span start, Unix ns.
    pub start_unix_nano: u64,
    /// Latest span end minus earliest start, ms.
    pub duration_ms: f64,
    /// Spans stored for the trace.
    pub span_count: usize,
    /// Distinct services, sorted.
    pub services: Vec<String>,
    /// A span has status Error.
    pub has_error: bool,
    /// A span has an event or attribute whose name starts with `chaos.`.
    pub has_fault: bool,
}

/// `GET /api/traces`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracesResponse {
    /// Newest first (by start), at most `limit`.
    pub traces: Vec<TraceSummary>,
    /// How many stored traces matched before `limit` was applied.
    pub matched: usize,
}

/// `GET /api/traces/{trace_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceDetail {
    /// The summary as in a listing.
    pub summary: TraceSummary,
    /// Every span, sorted by start time.
    pub spans: Vec<SpanView>,
}

/// The span kind, as OTLP names it (lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

/// The span status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCode {
    Unset,
    Ok,
    Error,
}

/// A span as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanView {
    /// 16 hex digits.
    pub span_id: String,
    /// 16 hex digits, `None` for a root span.
    pub parent_span_id: Option<String>,
    /// `service.name` of the resource that sent it.
    pub service: String,
    /// Span name.
    pub name: String,
    /// Span kind.
    pub kind: SpanKind,
    /// Start, Unix ns.
    pub start_unix_nano: u64,
    /// End, Unix ns.
    pub end_unix_nano: u64,
    /// End minus start, ms.
    pub duration_ms: f64,
    /// Status code.
    pub status: StatusCode,
    /// Status message, empty when none.
    #[serde(default)]
    pub status_message: String,
    /// Span attributes; values are JSON scalars, arrays or objects.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Span events, in time order.
    pub events: Vec<SpanEventView>,
    /// Attributes of the resource that sent it (`service.name`,
    /// `telemetry.sdk.language`, `telemetry.sdk.name`, ...).
    #[serde(default)]
    pub resource: BTreeMap<String, serde_json::Value>,
}

/// A span event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanEventView {
    /// Event name (an injected fault is `chaos.fault`, with `fault.kind`).
    pub name: String,
    /// When, Unix ns.
    pub time_unix_nano: u64,
    /// Event attributes.
    pub attributes: BTreeMap<String, serde_json::Value>,
}

// ---------------------------------------------------------------- logs

/// A stored log record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogView {
    /// Arrival number; `after=` pages on it.
    pub seq: u64,
    /// The record's time (else when it was observed), Unix ns.
    pub time_unix_nano: u64,
    /// OTLP severity number (1-24, 0 unknown).
    pub severity_number: u8,
    /// TRACE, DEBUG, INFO, WARN, ERROR, FATAL (or empty).
    pub level: String,
    /// The body; non-string bodies as JSON text.
    pub body: String,
    /// `service.name` of the sender.
    pub service: String,
    /// 32 hex digits, when the record belongs to a trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// 16 hex digits, when the record belongs to a span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// Record attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// `GET /api/logs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogsResponse {
    /// Newest first.
    pub logs: Vec<LogView>,
    /// How many matched (may exceed `logs.len()`).
    pub matched: usize,
    /// The newest sequence number in the store: pass it as `after=` to get
    /// only what arrives next.
    pub last_seq: u64,
}

// ---------------------------------------------------------------- heatmap

/// `GET /api/services/{name}/heatmap`: requests per second in each latency
/// bucket, per step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    pub service: String,
    /// Where the numbers came from: `prometheus`, `otlp_metrics` or `spans`.
    pub source: String,
    pub step_s: f64,
    /// Bucket upper bounds, ms (the last is `f64::INFINITY` as `null`).
    pub bounds_ms: Vec<Option<f64>>,
    /// One column per step, oldest first.
    pub columns: Vec<HeatmapColumn>,
}

/// One step of a heatmap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeatmapColumn {
    pub t_unix_ms: u64,
    /// Requests per second per bucket (`bounds_ms` order; not cumulative).
    pub rates: Vec<f64>,
}
