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
    /// Present when the calls are messages through a broker (producer →
    /// consumer span pairs): how long they wait and how many are waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging: Option<MessagingEdge>,
}

/// The asynchronous side of an edge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagingEdge {
    /// From a message's publish to its processing's start (its wait in the
    /// broker), median over the window, ms.
    pub wait_p50_ms: Option<f64>,
    /// The same, 99th percentile.
    pub wait_p99_ms: Option<f64>,
    /// Messages waiting for the consumer now (`messaging_queue_depth` of
    /// the callee), when the callee reports it.
    #[serde(default)]
    pub queue_depth: Option<f64>,
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

mod status;
mod traces;

pub use status::*;
pub use traces::*;
