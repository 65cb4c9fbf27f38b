//! The hub's status answers: resilience numbers, the agent's faults passed
//! through, the load generator's journeys, the hub's own health, and the
//! `/api/metric` query.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RedStats;

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
    /// Each fault as the agent reports it (the agent's own type).
    pub faults: Vec<crate::wire::faults::ActiveFault>,
    /// Set when the list could not be fetched (no agent configured, agent
    /// unreachable, an answer that is not a fault list); `faults` is then empty.
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
