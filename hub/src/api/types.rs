//! The JSON shapes of the hub's query API.
//!
//! Every response body the hub serves (and the typed client in
//! [`crate::client`] reads) is defined here, so the terminal dashboard, the
//! experiment runner, the CLI and the tests share one vocabulary. Changes to
//! these types are additive only: new optional fields carry
//! `#[serde(default)]` so older bodies still parse.
//!
//! Units: rates are requests per second, ratios are 0..=1, latencies are in
//! milliseconds (`*_ms`), timestamps are Unix epoch (`*_unix_ms` or
//! `*_unix_nano`). Ids (trace, span) are lowercase hex as in OTLP/JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The body of every 4xx/5xx answer: `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, naming the offending parameter when there is one.
    pub error: String,
}

/// A Prometheus scrape target: a name (the service it belongs to) and the
/// full URL of its `/metrics` page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    /// Logical name, used as the `service` when a series carries none.
    pub name: String,
    /// Full URL of the exposition page, e.g. `http://127.0.0.1:8081/metrics`.
    pub url: String,
}

/// How a node looks from the hub: derived from the last scrape and the
/// server-side error ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Last scrape succeeded and the error ratio is below 1%.
    Up,
    /// Last scrape succeeded but the error ratio is at or above 1%.
    Degraded,
    /// Last scrape failed (connection refused, timeout, bad status).
    Down,
    /// Not scraped yet, or no scrape target names this service.
    Unknown,
}

/// Request rate, error ratio and latency percentiles over a window.
///
/// Percentiles are `None` when no request fell in the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RedStats {
    /// Requests per second over the window (from counter deltas).
    pub rate: f64,
    /// Share of requests with status >= 500 or an `error_type`, 0..=1.
    pub error_ratio: f64,
    /// Median latency, ms (Prometheus `histogram_quantile` arithmetic).
    pub p50_ms: Option<f64>,
    /// 95th percentile latency, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile latency, ms.
    pub p99_ms: Option<f64>,
}

// ---------------------------------------------------------------- topology

/// `GET /api/topology`: the service graph with live numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// One node per service seen in a scrape target or in metrics.
    pub nodes: Vec<TopologyNode>,
    /// One edge per (caller, callee) seen in client-side metrics.
    pub edges: Vec<EdgeStats>,
    /// The window the rates and percentiles cover, seconds.
    pub window_s: f64,
    /// When the answer was computed.
    pub generated_unix_ms: u64,
}

/// A service in the topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologyNode {
    /// The `service` name.
    pub name: String,
    /// Up / degraded / down / unknown.
    pub health: Health,
    /// Server-side numbers for the whole service.
    pub stats: RedStats,
    /// Where `stats` came from: `prometheus`, `otlp_metrics`, `spans`, or
    /// empty when nothing measured it in the window.
    #[serde(default)]
    pub source: String,
    /// `telemetry.sdk.language` of its OTLP resource, when it sent any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_language: Option<String>,
    /// `proxy` when its spans show it forwarding calls to other services
    /// (the agent's proxies); empty for a plain service.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
}

/// `GET /api/edges` items (and topology edges): caller -> callee, measured
/// on the caller's side (`http_client_request_duration_seconds`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeStats {
    /// The caller (`service` label).
    pub from: String,
    /// The callee (`server_address` label).
    pub to: String,
    /// Client-side numbers.
    pub stats: RedStats,
    /// Whether the agent reports an active fault on the callee's proxy.
    pub fault_active: bool,
    /// Short descriptions of those faults (kind names), empty when none.
    #[serde(default)]
    pub faults: Vec<String>,
    /// Where `stats` came from: `prometheus`, `otlp_metrics` or `spans`.
    #[serde(default)]
    pub source: String,
}

/// `GET /api/edges`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgesResponse {
    /// Every edge, sorted by (from, to).
    pub edges: Vec<EdgeStats>,
    /// The window the numbers cover, seconds.
    pub window_s: f64,
}

// ---------------------------------------------------------------- services

/// Numbers for one route of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteStats {
    /// HTTP method (`http_request_method`), empty when absent.
    pub method: String,
    /// Route template (`http_route`).
    pub route: String,
    /// Server-side numbers for the route.
    pub stats: RedStats,
}

/// One service now; with `series` when asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStats {
    /// The `service` name.
    pub name: String,
    /// Up / degraded / down / unknown.
    pub health: Health,
    /// Whole-service numbers over the window.
    pub stats: RedStats,
    /// Per route, sorted by route then method.
    pub routes: Vec<RouteStats>,
    /// Time series, present with `?series=1` or on `/api/services/{name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<ServiceSeries>,
    /// Where `stats` came from: `prometheus`, `otlp_metrics`, `spans`, or
    /// empty when nothing measured it in the window.
    #[serde(default)]
    pub source: String,
    /// `telemetry.sdk.language` of its OTLP resource, when it sent any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_language: Option<String>,
    /// The OTLP signals it sent (`traces`, `metrics`, `logs`).
    #[serde(default)]
    pub signals: Vec<String>,
    /// `proxy` when its spans show it forwarding calls to other services
    /// (the agent's proxies); empty for a plain service.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
}

/// `GET /api/services`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicesResponse {
    /// Every service, sorted by name.
    pub services: Vec<ServiceStats>,
    /// The window the "now" numbers cover, seconds.
    pub window_s: f64,
}

/// One point of a RED time series: the numbers over `step_s` ending at `t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// End of the step, Unix ms.
    pub t_unix_ms: u64,
    /// Numbers over the step.
    #[serde(flatten)]
    pub stats: RedStats,
}

/// Time series for a service and its routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSeries {
    /// Seconds between points (each point covers one step).
    pub step_s: f64,
    /// Whole-service points, oldest first.
    pub points: Vec<SeriesPoint>,
    /// Per route points.
    pub routes: Vec<RouteSeries>,
}

/// Time series for one route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteSeries {
    /// HTTP method, empty when absent.
    pub method: String,
    /// Route template.
    pub route: String,
    /// Points, oldest first.
    pub points: Vec<SeriesPoint>,
}

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

// ---------------------------------------------------------------- resilience

/// A circuit breaker's state, from `resilience_circuit_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    Closed,
    HalfOpen,
    Open,
    /// No gauge reported (no breaker configured, or not scraped yet).
    Unknown,
}

/// Resilience numbers for one (service, dependency) pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResilienceEntry {
    /// The caller.
    pub service: String,
    /// The dependency the policy guards.
    pub dependency: String,
    /// Breaker state now.
    pub circuit: CircuitState,
    /// Calls per second by outcome (success, failure, timeout,
    /// rejected_circuit_open, rejected_bulkhead, fallback) over the window.
    pub calls_rate: BTreeMap<String, f64>,
    /// Total calls by outcome since the process started (counter value).
    pub calls_total: BTreeMap<String, f64>,
    /// Retries per second over the window.
    pub retries_rate: f64,
    /// Calls in flight in the bulkhead now, `None` when not reported.
    pub bulkhead_in_flight: Option<f64>,
}

/// `GET /api/resilience`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResilienceResponse {
    /// Sorted by (service, dependency).
    pub entries: Vec<ResilienceEntry>,
    /// The window the rates cover, seconds.
    pub window_s: f64,
}

// ---------------------------------------------------------------- faults

/// `GET /api/faults`: the agent's `/chaos/faults` list, passed through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultsResponse {
    /// Each fault exactly as the agent reports it.
    pub faults: Vec<serde_json::Value>,
    /// Set when the list could not be fetched (no agent configured, agent
    /// unreachable); `faults` is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

// ---------------------------------------------------------------- load

/// Load-generator numbers for one journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyStats {
    /// The `journey` label.
    pub journey: String,
    /// Rate and error ratio from `loadgen_requests_total{outcome}` (any
    /// outcome other than `ok`/`success` counts as an error); percentiles from
    /// `loadgen_request_duration_seconds`.
    pub stats: RedStats,
    /// Requests per second by outcome over the window.
    pub outcomes_rate: BTreeMap<String, f64>,
    /// Total requests by outcome (counter value).
    pub outcomes_total: BTreeMap<String, f64>,
}

/// `GET /api/load`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResponse {
    /// All journeys together.
    pub total: RedStats,
    /// Per journey, sorted by name.
    pub journeys: Vec<JourneyStats>,
    /// The window, seconds.
    pub window_s: f64,
}

// ---------------------------------------------------------------- hub health

/// The result of the last scrape of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetStatus {
    /// Target name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// Whether the last scrape succeeded; `None` before the first.
    pub up: Option<bool>,
    /// When the last scrape finished, Unix ms.
    pub last_scrape_unix_ms: Option<u64>,
    /// How long it took, ms.
    pub last_duration_ms: Option<f64>,
    /// Samples read in the last successful scrape.
    pub samples: usize,
    /// Why the last scrape failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// `GET /api/health`: the hub's own numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubHealth {
    /// Seconds since the hub started.
    pub uptime_s: f64,
    /// The span budget of the trace store.
    pub span_budget: usize,
    /// Spans held now (never above the budget).
    pub spans_stored: usize,
    /// Traces held now.
    pub traces_stored: usize,
    /// Spans accepted since start.
    pub spans_received: u64,
    /// Spans dropped to stay within the budget.
    pub spans_evicted: u64,
    /// Traces dropped to stay within the budget.
    pub traces_evicted: u64,
    /// Metric data points accepted over OTLP (HTTP durations kept, all counted).
    pub metric_points_received: u64,
    /// Log records accepted over OTLP.
    pub log_records_received: u64,
    /// OTLP payloads rejected as malformed (both protocols).
    pub rejected_payloads: u64,
    /// Series held in the metrics store.
    pub series_stored: usize,
    /// Every scrape target and its last result.
    pub targets: Vec<TargetStatus>,
    /// Spans dropped on arrival for an invalid trace or span id.
    #[serde(default)]
    pub rejected_spans: u64,
    /// Approximate bytes the trace store holds (spans and their strings).
    #[serde(default)]
    pub trace_store_bytes: usize,
    /// The trace store's byte budget.
    #[serde(default)]
    pub trace_byte_budget: usize,
    /// Log records held now.
    #[serde(default)]
    pub log_records_stored: usize,
    /// Approximate bytes the log store holds.
    #[serde(default)]
    pub log_store_bytes: usize,
    /// The log store's byte budget.
    #[serde(default)]
    pub log_byte_budget: usize,
    /// Log records dropped to stay within the budget.
    #[serde(default)]
    pub log_records_evicted: u64,
    /// String values (attributes, bodies) cut to `attr_value_max`.
    #[serde(default)]
    pub values_truncated: u64,
    /// Longest string value kept, bytes.
    #[serde(default)]
    pub attr_value_max: usize,
}

// ---------------------------------------------------------------- metric query

/// How `/api/metric` combines the matching series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Sum of the latest values.
    Sum,
    /// Mean of the latest values.
    Avg,
    /// Largest latest value.
    Max,
    /// Sum of per-second rates over the window (counters; resets handled).
    Rate,
}

impl Aggregation {
    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Avg => "avg",
            Aggregation::Max => "max",
            Aggregation::Rate => "rate",
        }
    }
}

/// `GET /api/metric?name=&labels=k=v,...&agg=&window=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    /// The metric name asked for.
    pub name: String,
    /// The label matchers asked for (exact equality).
    pub labels: BTreeMap<String, String>,
    /// The aggregation applied.
    pub agg: Aggregation,
    /// The window, seconds.
    pub window_s: f64,
    /// The value; `None` when no series matched (or, for `rate`, no series
    /// had two samples in the window).
    pub value: Option<f64>,
    /// How many series matched.
    pub series_matched: usize,
}
