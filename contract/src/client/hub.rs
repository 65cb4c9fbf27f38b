//! The hub's client: its query API.
//!
//! Shared by the terminal dashboard, the experiment runner, the CLI and the
//! tests, so that every caller reads the same [`crate::wire::hub`]:
//!
//! ```no_run
//! # async fn demo() -> chaoslab_contract::client::Result<()> {
//! use chaoslab_contract::client::{HubClient, TraceQuery};
//! let hub = HubClient::new("http://127.0.0.1:7070")?;
//! let topo = hub.topology().await?;
//! let slow = hub.traces(&TraceQuery { min_duration_ms: Some(500.0), ..Default::default() }).await?;
//! # let _ = (topo, slow); Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::{ClientError, Core, Result, segment};
use crate::wire::experiment::ExperimentView;
use crate::wire::hub::{
    Aggregation, EdgesResponse, FaultsResponse, Heatmap, HubHealth, LoadResponse, LogsResponse,
    MetricValue, ResilienceResponse, ServiceStats, ServicesResponse, Topology, TraceDetail,
    TracesResponse,
};

/// Filters for `GET /api/traces`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceQuery {
    /// Only traces that touch this service.
    pub service: Option<String>,
    /// Only traces with an error span (`status=error`).
    pub errors_only: bool,
    /// Only traces at least this long, ms.
    pub min_duration_ms: Option<f64>,
    /// Only traces with an injected fault: a `chaos.fault` event (`fault=1`).
    pub faults_only: bool,
    /// At most this many (the hub's default is 100).
    pub limit: Option<usize>,
}

/// Filters for `GET /api/logs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQuery {
    pub service: Option<String>,
    /// At least this level (`info`, `warn`, `error`, ...).
    pub level: Option<String>,
    /// 32 hex digits.
    pub trace_id: Option<String>,
    /// 16 hex digits.
    pub span_id: Option<String>,
    /// Text in the body, any case.
    pub text: Option<String>,
    /// Only records with a larger `seq` (follow mode).
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

/// Parameters of `GET /api/metric`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    /// Metric name as exposed, e.g. `resilience_calls_total`.
    pub name: String,
    /// Exact label matches.
    pub labels: BTreeMap<String, String>,
    /// How to combine the matching series.
    pub agg: Aggregation,
    /// Window for `rate` (ignored by the others), e.g. 30 s; the hub's
    /// own when `None`.
    pub window: Option<Duration>,
}

impl MetricQuery {
    /// A query with no label matchers and a 30 s window.
    pub fn new(name: impl Into<String>, agg: Aggregation) -> Self {
        Self {
            name: name.into(),
            labels: BTreeMap::new(),
            agg,
            window: Some(Duration::from_secs(30)),
        }
    }

    /// The same query over `window`.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = Some(window);
        self
    }

    /// Adds an exact label match.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
}

/// A client for one hub. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HubClient {
    core: Core,
}

impl HubClient {
    /// A client for the hub at `base` (e.g. `http://127.0.0.1:7070`), with a
    /// 5 s request timeout.
    pub fn new(base: &str) -> Result<Self> {
        check_url(base)?;
        Ok(Self {
            core: Core::new(base, Duration::from_secs(5)),
        })
    }

    /// A client that uses a caller-built reqwest client.
    pub fn with_client(base: &str, http: reqwest::Client) -> Result<Self> {
        Ok(Self::new(base)?.with_http(http))
    }

    fn with_http(mut self, http: reqwest::Client) -> Self {
        self.core = self.core.with_http(http);
        self
    }

    /// The same client with another timeout per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.core = self.core.with_timeout(timeout);
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.core.base()
    }

    /// `GET /api/topology`.
    pub async fn topology(&self) -> Result<Topology> {
        self.get("api/topology", &[]).await
    }

    /// `GET /api/services` (with `series=1` when `with_series`).
    pub async fn services(&self, with_series: bool) -> Result<ServicesResponse> {
        let mut q = Vec::new();
        if with_series {
            q.push(("series", "1".to_string()));
        }
        self.get("api/services", &q).await
    }

    /// `GET /api/services/{name}`: one service with its time series.
    pub async fn service(&self, name: &str) -> Result<ServiceStats> {
        self.get(&format!("api/services/{}", segment(name)), &[])
            .await
    }

    /// `GET /api/services/{name}/heatmap`: latency bucket rates over time.
    pub async fn heatmap(&self, name: &str) -> Result<Heatmap> {
        self.get(&format!("api/services/{}/heatmap", segment(name)), &[])
            .await
    }

    /// `GET /api/logs` with filters.
    pub async fn logs(&self, q: &LogQuery) -> Result<LogsResponse> {
        let mut params = Vec::new();
        let pairs = [
            ("service", &q.service),
            ("level", &q.level),
            ("trace_id", &q.trace_id),
            ("span_id", &q.span_id),
            ("q", &q.text),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        }
        if let Some(a) = q.after {
            params.push(("after", a.to_string()));
        }
        if let Some(l) = q.limit {
            params.push(("limit", l.to_string()));
        }
        self.get("api/logs", &params).await
    }

    /// `GET /api/edges`.
    pub async fn edges(&self) -> Result<EdgesResponse> {
        self.get("api/edges", &[]).await
    }

    /// `GET /api/traces` with filters.
    pub async fn traces(&self, q: &TraceQuery) -> Result<TracesResponse> {
        let mut params = Vec::new();
        if let Some(s) = &q.service {
            params.push(("service", s.clone()));
        }
        if q.errors_only {
            params.push(("status", "error".to_string()));
        }
        if let Some(ms) = q.min_duration_ms {
            params.push(("min_duration_ms", ms.to_string()));
        }
        if q.faults_only {
            params.push(("fault", "1".to_string()));
        }
        if let Some(l) = q.limit {
            params.push(("limit", l.to_string()));
        }
        self.get("api/traces", &params).await
    }

    /// `GET /api/traces/{trace_id}`; a 404 ([`ClientError::is_not_found`]) when unknown.
    pub async fn trace(&self, trace_id: &str) -> Result<TraceDetail> {
        self.get(&format!("api/traces/{}", segment(trace_id)), &[])
            .await
    }

    /// `GET /api/resilience`.
    pub async fn resilience(&self) -> Result<ResilienceResponse> {
        self.get("api/resilience", &[]).await
    }

    /// `GET /api/faults`.
    pub async fn faults(&self) -> Result<FaultsResponse> {
        self.get("api/faults", &[]).await
    }

    /// `GET /api/load`.
    pub async fn load(&self) -> Result<LoadResponse> {
        self.get("api/load", &[]).await
    }

    /// `GET /api/health`.
    pub async fn health(&self) -> Result<HubHealth> {
        self.get("api/health", &[]).await
    }

    /// `GET /api/experiment`: the running experiment's view; `None` when
    /// none is running (the hub's 404).
    pub async fn experiment(&self) -> Result<Option<ExperimentView>> {
        match self.core.get("/api/experiment").await {
            Ok(view) => Ok(Some(view)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /api/experiment`: the view the dashboard shows until the next
    /// put, [`HubClient::clear_experiment`], or the hub's staleness limit.
    pub async fn put_experiment(&self, view: &ExperimentView) -> Result<()> {
        self.core
            .empty(Method::PUT, "/api/experiment", Some(view))
            .await
    }

    /// `DELETE /api/experiment`: no experiment running.
    pub async fn clear_experiment(&self) -> Result<()> {
        self.core
            .empty::<()>(Method::DELETE, "/api/experiment", None)
            .await
    }

    /// `GET /api/metric`: the current value of a named metric.
    pub async fn metric(&self, q: &MetricQuery) -> Result<MetricValue> {
        let labels = q
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut params = vec![
            ("name", q.name.clone()),
            ("agg", q.agg.as_str().to_string()),
        ];
        if let Some(w) = q.window {
            params.push(("window", format!("{}ms", w.as_millis())));
        }
        if !labels.is_empty() {
            params.push(("labels", labels));
        }
        self.get("api/metric", &params).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, params: &[(&str, String)]) -> Result<T> {
        let mut url = reqwest::Url::parse("http://query/").map_err(|e| ClientError::BadUrl {
            url: path.to_string(),
            reason: e.to_string(),
        })?;
        if !params.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in params {
                pairs.append_pair(k, v);
            }
        }
        let full = match url.query() {
            Some(q) => format!("/{path}?{q}"),
            None => format!("/{path}"),
        };
        self.core.get(&full).await
    }
}

fn check_url(base: &str) -> Result<()> {
    reqwest::Url::parse(base)
        .map(drop)
        .map_err(|e| ClientError::BadUrl {
            url: base.to_string(),
            reason: e.to_string(),
        })
}
