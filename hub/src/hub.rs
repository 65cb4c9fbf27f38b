//! The hub itself: the stores, the scrape targets and the counters, shared
//! by the receivers, the scraper and the query API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

use crate::api::types::{HubHealth, Target, TargetStatus};
use crate::config::{ConfigError, HubConfig};
use crate::derived::{Derived, Source};
use crate::logs::{self, LogStore};
use crate::metrics::series::SeriesStore;
use crate::traces::convert::{Limits, ResourceCache};
use crate::traces::span::AttrValue;
use crate::traces::{TraceStore, convert};

/// Counters of what arrived over OTLP.
#[derive(Debug, Default)]
pub struct IngestStats {
    pub metric_points: AtomicU64,
    pub log_records: AtomicU64,
    pub rejected_payloads: AtomicU64,
    pub rejected_spans: AtomicU64,
    /// String values cut to the attribute value limit.
    pub truncated_values: AtomicU64,
}

/// A scrape target and its last result.
#[derive(Debug, Clone)]
pub(crate) struct TargetState {
    pub target: Target,
    pub status: TargetStatus,
}

impl TargetState {
    fn new(target: Target) -> Self {
        Self {
            status: TargetStatus {
                name: target.name.clone(),
                url: target.url.clone(),
                up: None,
                last_scrape_unix_ms: None,
                last_duration_ms: None,
                samples: 0,
                last_error: None,
            },
            target,
        }
    }
}

/// The faults last fetched from the agent.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultSnapshot {
    pub faults: Vec<chaoslab_contract::wire::faults::ActiveFault>,
    pub note: Option<String>,
}

/// The telemetry hub. Create with [`Hub::new`], serve with the functions in
/// the crate root, feed targets with [`Hub::set_targets`].
#[derive(Debug)]
pub struct Hub {
    pub(crate) cfg: HubConfig,
    started: Instant,
    pub(crate) traces: TraceStore,
    pub(crate) logs: LogStore,
    /// RED and edges from spans and OTLP metrics, and who sent what.
    pub(crate) derived: Derived,
    pub(crate) resources: ResourceCache,
    pub(crate) series: RwLock<SeriesStore>,
    pub(crate) targets: RwLock<Vec<TargetState>>,
    pub(crate) stats: IngestStats,
    pub(crate) faults: RwLock<FaultSnapshot>,
    pub(crate) http: reqwest::Client,
    /// The running experiment's live view, as its runner last posted it.
    pub(crate) experiment: crate::api::experiment::Slot,
}

/// Unix time now, ms.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Hub {
    /// A hub; invalid values are replaced by defaults field by field (use
    /// [`Hub::try_new`] to get an error instead).
    pub fn new(cfg: HubConfig) -> Arc<Self> {
        match Self::try_new(cfg.clone()) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!("{e}; using defaults for the hub's limits");
                let d = HubConfig::default();
                let fixed = HubConfig {
                    agent_url: cfg.agent_url.filter(|u| reqwest::Url::parse(u).is_ok()),
                    extra_targets: cfg
                        .extra_targets
                        .into_iter()
                        .filter(|t| reqwest::Url::parse(&t.url).is_ok())
                        .collect(),
                    ..d
                };
                Self::try_new(fixed).expect("default config is valid")
            }
        }
    }

    /// A hub, or why the configuration cannot work.
    pub fn try_new(cfg: HubConfig) -> Result<Arc<Self>, ConfigError> {
        cfg.validate()?;
        let http = reqwest::Client::builder()
            .timeout(cfg.scrape_timeout)
            .build()
            .map_err(|e| ConfigError {
                field: "http client",
                reason: e.to_string(),
            })?;
        let targets = cfg
            .extra_targets
            .iter()
            .cloned()
            .map(TargetState::new)
            .collect();
        Ok(Arc::new(Self {
            traces: TraceStore::new(cfg.span_budget, cfg.trace_bytes),
            logs: LogStore::new(cfg.log_bytes),
            derived: Derived::default(),
            resources: ResourceCache::default(),
            series: RwLock::new(SeriesStore::new(cfg.points_per_series())),
            targets: RwLock::new(targets),
            stats: IngestStats::default(),
            faults: RwLock::new(FaultSnapshot::default()),
            experiment: Default::default(),
            started: Instant::now(),
            http,
            cfg,
        }))
    }

    /// The configuration in use.
    pub fn config(&self) -> &HubConfig {
        &self.cfg
    }

    /// Replaces the lab's scrape targets (the configured extra targets stay).
    /// Targets that remain keep their last status; the samples of targets
    /// that go are dropped.
    pub fn set_targets(&self, targets: Vec<Target>) {
        let mut all: Vec<Target> = targets;
        for t in &self.cfg.extra_targets {
            if !all.contains(t) {
                all.push(t.clone());
            }
        }
        let mut g = self.targets.write().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::take(&mut *g);
        *g = all
            .into_iter()
            .map(|t| {
                old.iter()
                    .find(|o| o.target == t)
                    .cloned()
                    .unwrap_or_else(|| TargetState::new(t))
            })
            .collect();
        let urls: Vec<String> = g.iter().map(|t| t.target.url.clone()).collect();
        drop(g);
        self.series
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain_targets(&urls);
    }

    /// The current scrape targets (lab and extra).
    pub fn targets(&self) -> Vec<Target> {
        self.read_targets()
            .iter()
            .map(|t| t.target.clone())
            .collect()
    }

    pub(crate) fn read_targets(&self) -> std::sync::RwLockReadGuard<'_, Vec<TargetState>> {
        self.targets.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn read_series(&self) -> std::sync::RwLockReadGuard<'_, SeriesStore> {
        self.series.read().unwrap_or_else(|e| e.into_inner())
    }

    fn limits(&self) -> Limits {
        Limits {
            attr_value_max: self.cfg.attr_value_max,
        }
    }

    /// Stores the spans of one OTLP trace export and counts them into the
    /// spans-derived RED numbers; returns how many spans were rejected for
    /// invalid ids.
    pub fn ingest_traces(&self, req: ExportTraceServiceRequest) -> usize {
        let c = convert::convert_request(req, self.limits(), &self.resources);
        if c.rejected > 0 {
            self.stats
                .rejected_spans
                .fetch_add(c.rejected as u64, Ordering::Relaxed);
        }
        self.stats
            .truncated_values
            .fetch_add(c.truncated as u64, Ordering::Relaxed);
        let now = now_ms();
        let mut last: Option<&std::sync::Arc<str>> = None;
        for (_, s) in &c.spans {
            if last.is_some_and(|l| std::sync::Arc::ptr_eq(l, &s.service)) {
                continue;
            }
            last = Some(&s.service);
            let lang = s.resource.iter().find_map(|a| match &a.value {
                AttrValue::Str(v) if &*a.key == "telemetry.sdk.language" => Some(&**v),
                _ => None,
            });
            self.derived.saw(&s.service, "traces", lang, now);
        }
        self.derived
            .spans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(now, &c.spans);
        self.traces.insert(c.spans);
        c.rejected
    }

    /// Counts an OTLP metrics export and keeps its HTTP duration
    /// histograms; returns the points it held.
    pub fn ingest_metrics(&self, req: &ExportMetricsServiceRequest) -> usize {
        let points: usize = req
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| match &m.data {
                Some(Data::Gauge(g)) => g.data_points.len(),
                Some(Data::Sum(s)) => s.data_points.len(),
                Some(Data::Histogram(h)) => h.data_points.len(),
                Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                Some(Data::Summary(s)) => s.data_points.len(),
                None => 0,
            })
            .sum();
        self.stats
            .metric_points
            .fetch_add(points as u64, Ordering::Relaxed);
        let now = now_ms();
        for rm in &req.resource_metrics {
            let attrs = rm
                .resource
                .as_ref()
                .map(|r| r.attributes.as_slice())
                .unwrap_or(&[]);
            let lang = convert::string_attr(attrs, "telemetry.sdk.language");
            self.derived.saw(
                convert::service_name(attrs),
                "metrics",
                lang.as_deref(),
                now,
            );
        }
        self.derived
            .metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .ingest(req);
        points
    }

    /// Stores the records of an OTLP logs export; returns how many.
    pub fn ingest_logs(&self, req: ExportLogsServiceRequest) -> usize {
        let c = logs::convert(req, self.limits(), &self.resources);
        let now = now_ms();
        for (service, lang) in &c.services {
            self.derived.saw(service, "logs", lang.as_deref(), now);
        }
        self.stats
            .truncated_values
            .fetch_add(c.truncated as u64, Ordering::Relaxed);
        let n = c.records.len();
        self.stats
            .log_records
            .fetch_add(n as u64, Ordering::Relaxed);
        self.logs.insert(c.records);
        n
    }

    /// Writes the derived histograms (spans, OTLP metrics) into the series
    /// store as of `t_ms`; called at every scrape tick.
    pub(crate) fn record_derived(&self, series: &mut SeriesStore, t_ms: u64) {
        let spans = {
            let mut g = self.derived.spans.lock().unwrap_or_else(|e| e.into_inner());
            g.resolve(t_ms, &self.traces);
            g.render()
        };
        let metrics = self
            .derived
            .metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .render();
        for (source, samples) in [(Source::Spans, spans), (Source::OtlpMetrics, metrics)] {
            if let Some(key) = source.target_key() {
                series.record(key, "", t_ms, samples);
            }
        }
    }

    /// Counts a payload rejected as malformed.
    pub(crate) fn count_rejected(&self) {
        self.stats.rejected_payloads.fetch_add(1, Ordering::Relaxed);
    }

    /// The hub's own numbers (`/api/health`).
    pub fn health(&self) -> HubHealth {
        let t = self.traces.stats();
        let l = self.logs.stats();
        HubHealth {
            uptime_s: self.started.elapsed().as_secs_f64(),
            span_budget: t.budget,
            spans_stored: t.spans,
            traces_stored: t.traces,
            spans_received: t.spans_received,
            spans_evicted: t.spans_evicted,
            traces_evicted: t.traces_evicted,
            metric_points_received: self.stats.metric_points.load(Ordering::Relaxed),
            log_records_received: self.stats.log_records.load(Ordering::Relaxed),
            rejected_payloads: self.stats.rejected_payloads.load(Ordering::Relaxed),
            series_stored: self.read_series().series_count(),
            targets: self
                .read_targets()
                .iter()
                .map(|t| t.status.clone())
                .collect(),
            rejected_spans: self.stats.rejected_spans.load(Ordering::Relaxed),
            trace_store_bytes: t.approx_bytes,
            trace_byte_budget: t.byte_budget,
            log_records_stored: l.records,
            log_store_bytes: l.bytes,
            log_byte_budget: l.byte_budget,
            log_records_evicted: l.evicted,
            values_truncated: self.stats.truncated_values.load(Ordering::Relaxed),
            attr_value_max: self.cfg.attr_value_max,
        }
    }
}
