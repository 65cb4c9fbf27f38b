//! The query API's handlers: parse parameters, call [`crate::query`] or the
//! trace views, answer JSON.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;

use super::error::ApiError;
use super::params::Params;
use super::types::{
    EdgesResponse, FaultsResponse, Heatmap, HubHealth, LoadResponse, MetricValue,
    ResilienceResponse, ServiceStats, ServicesResponse, Topology, TraceDetail, TracesResponse,
};
use crate::hub::{Hub, now_ms};
use crate::metrics::derive::{self, Window};
use crate::query::SeriesSpec;
use crate::traces::{TraceFilter, ids, view};

type Q = Query<HashMap<String, String>>;
type Result<T> = std::result::Result<Json<T>, ApiError>;

/// Most traces one listing returns.
pub const MAX_TRACE_LIMIT: usize = 10_000;
/// Traces a listing returns when no `limit` is given.
pub const DEFAULT_TRACE_LIMIT: usize = 100;
/// Most points one series answer holds.
pub const MAX_SERIES_POINTS: u128 = 2_000;

fn window(hub: &Hub, p: &Params) -> std::result::Result<Option<Duration>, ApiError> {
    p.duration("window", Duration::from_millis(10), hub.cfg.retention)
}

fn series_spec(hub: &Hub, p: &Params) -> std::result::Result<SeriesSpec, ApiError> {
    let d = SeriesSpec::default();
    let range = p
        .duration("range", Duration::from_millis(100), hub.cfg.retention)?
        .unwrap_or(d.range.min(hub.cfg.retention));
    let step = p
        .duration("step", Duration::from_millis(100), hub.cfg.retention)?
        .unwrap_or(d.step);
    if step > range {
        return Err(ApiError::bad("step", "must not exceed `range`"));
    }
    if range.as_millis() / step.as_millis().max(1) > MAX_SERIES_POINTS {
        return Err(ApiError::bad(
            "step",
            format!("range/step gives more than {MAX_SERIES_POINTS} points"),
        ));
    }
    Ok(SeriesSpec { range, step })
}

/// Runs a computation that may take milliseconds (time series over many
/// points) off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

pub async fn topology(State(hub): State<Arc<Hub>>, Query(q): Q) -> Result<Topology> {
    let p = Params(q);
    Ok(Json(hub.topology(window(&hub, &p)?)))
}

pub async fn services(State(hub): State<Arc<Hub>>, Query(q): Q) -> Result<ServicesResponse> {
    let p = Params(q);
    let w = window(&hub, &p)?;
    let spec = if p.flag("series")? {
        Some(series_spec(&hub, &p)?)
    } else {
        None
    };
    Ok(Json(blocking(move || hub.services(w, spec)).await))
}

pub async fn service(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
    Query(q): Q,
) -> Result<ServiceStats> {
    let p = Params(q);
    let w = window(&hub, &p)?;
    let spec = series_spec(&hub, &p)?;
    let n = name.clone();
    blocking(move || hub.service(&n, w, spec))
        .await
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no service named {name:?}")))
}

pub async fn heatmap(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
    Query(q): Q,
) -> Result<Heatmap> {
    let p = Params(q);
    let spec = series_spec(&hub, &p)?;
    let n = name.clone();
    blocking(move || hub.heatmap(&n, spec))
        .await
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no service named {name:?}")))
}

pub async fn edges(State(hub): State<Arc<Hub>>, Query(q): Q) -> Result<EdgesResponse> {
    let p = Params(q);
    Ok(Json(hub.edges(window(&hub, &p)?)))
}

pub async fn traces(State(hub): State<Arc<Hub>>, Query(q): Q) -> Result<TracesResponse> {
    let p = Params(q);
    let errors_only = match p.string("status").as_deref() {
        None | Some("any") => false,
        Some("error") => true,
        Some(other) => {
            return Err(ApiError::bad(
                "status",
                format!("expected error or any, got {other:?}"),
            ));
        }
    };
    let filter = TraceFilter {
        service: p.string("service"),
        errors_only,
        min_duration_ms: p.number("min_duration_ms")?,
        faults_only: p.flag("fault")?,
    };
    let limit = p
        .count("limit", MAX_TRACE_LIMIT)?
        .unwrap_or(DEFAULT_TRACE_LIMIT);
    Ok(Json(view::list(&hub.traces, &filter, limit)))
}

pub async fn trace(State(hub): State<Arc<Hub>>, Path(id): Path<String>) -> Result<TraceDetail> {
    let tid = ids::parse_trace_id(&id)
        .ok_or_else(|| ApiError::bad("trace_id", format!("expected 32 hex digits, got {id:?}")))?;
    view::detail(&hub.traces, tid)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no trace {} in the store", id.to_lowercase())))
}

pub async fn resilience(State(hub): State<Arc<Hub>>, Query(q): Q) -> Result<ResilienceResponse> {
    let p = Params(q);
    Ok(Json(hub.resilience(window(&hub, &p)?)))
}

pub async fn faults(State(hub): State<Arc<Hub>>) -> Json<FaultsResponse> {
    Json(hub.faults())
}

pub async fn load(State(hub): State<Arc<Hub>>, Query(q): Q) -> Result<LoadResponse> {
    let p = Params(q);
    Ok(Json(hub.load(window(&hub, &p)?)))
}

pub async fn health(State(hub): State<Arc<Hub>>) -> Json<HubHealth> {
    Json(hub.health())
}

pub async fn metric(State(hub): State<Arc<Hub>>, Query(q): Q) -> Result<MetricValue> {
    let p = Params(q);
    let name = p.required("name")?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return Err(ApiError::bad(
            "name",
            format!("{name:?} is not a metric name"),
        ));
    }
    let labels = p.labels("labels")?;
    let agg = p.aggregation("agg")?;
    let len = window(&hub, &p)?.unwrap_or(Duration::from_secs(30));
    let w = Window::ending(now_ms(), len.as_millis() as u64);
    let (value, series_matched) = derive::query_sources(&hub.read_series(), &name, &labels, agg, w);
    Ok(Json(MetricValue {
        name,
        labels,
        agg,
        window_s: len.as_secs_f64(),
        value,
        series_matched,
    }))
}

/// The hub's own counters in the Prometheus text format.
pub async fn own_metrics(State(hub): State<Arc<Hub>>) -> impl IntoResponse {
    let h = hub.health();
    let mut s = String::new();
    let mut put = |name: &str, kind: &str, v: f64| {
        let _ = writeln!(s, "# TYPE {name} {kind}\n{name} {v}");
    };
    put(
        "hub_spans_received_total",
        "counter",
        h.spans_received as f64,
    );
    put("hub_spans_evicted_total", "counter", h.spans_evicted as f64);
    put(
        "hub_traces_evicted_total",
        "counter",
        h.traces_evicted as f64,
    );
    put(
        "hub_spans_rejected_total",
        "counter",
        h.rejected_spans as f64,
    );
    put(
        "hub_otlp_rejected_payloads_total",
        "counter",
        h.rejected_payloads as f64,
    );
    put(
        "hub_metric_points_received_total",
        "counter",
        h.metric_points_received as f64,
    );
    put(
        "hub_log_records_received_total",
        "counter",
        h.log_records_received as f64,
    );
    put("hub_spans_stored", "gauge", h.spans_stored as f64);
    put("hub_traces_stored", "gauge", h.traces_stored as f64);
    put("hub_series_stored", "gauge", h.series_stored as f64);
    ([("content-type", "text/plain; version=0.0.4")], s)
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; see /api/health".into())
}
