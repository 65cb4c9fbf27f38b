//! Probes: something observed in the lab, with the tolerance it must meet.
//!
//! Each probe is a one-key map naming its kind (`slo`, `metric`, `http`,
//! `resilience`, `trace`); every kind has a `name` (optional), a `tolerance`
//! `when` (the phases it is checked in, all three by default) and `weight`
//! (its share of the resilience score, 1 by default; see [`crate::score`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Phase, Spanned, Tolerance};
use crate::duration::Dur;

/// A probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Probe {
    /// A journey's error rate or latency from the load generator.
    Slo(SloProbe),
    /// A series from the hub, aggregated.
    Metric(MetricProbe),
    /// An HTTP request to a service.
    Http(HttpProbe),
    /// A breaker's state (or another field) from a service's admin API.
    Resilience(ResilienceProbe),
    /// How many traces match a filter, from the hub.
    Trace(TraceProbe),
}

/// What of a journey an SLO probe reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloMeasure {
    /// Share of requests that failed, 0..=1.
    ErrorRate,
    /// Share of requests that succeeded, 0..=1.
    SuccessRatio,
    /// Median latency, ms.
    P50Ms,
    /// 95th percentile latency, ms.
    P95Ms,
    /// 99th percentile latency, ms.
    P99Ms,
    /// Requests in the window.
    Requests,
    /// Requests that could not be sent in time (the generator fell behind).
    Dropped,
}

impl SloMeasure {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SloMeasure::ErrorRate => "error_rate",
            SloMeasure::SuccessRatio => "success_ratio",
            SloMeasure::P50Ms => "p50_ms",
            SloMeasure::P95Ms => "p95_ms",
            SloMeasure::P99Ms => "p99_ms",
            SloMeasure::Requests => "requests",
            SloMeasure::Dropped => "dropped",
        }
    }
}

/// `slo`: a journey's numbers over the load generator's window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloProbe {
    #[serde(default)]
    pub name: Option<String>,
    /// browse, view_product, checkout or view_order.
    pub journey: Spanned<String>,
    pub measure: SloMeasure,
    pub tolerance: Spanned<Tolerance>,
    #[serde(default)]
    pub when: Option<Vec<Phase>>,
    /// How much the probe counts in the run's resilience score (1 when absent).
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
}

/// How the hub combines matching series: the hub's own query type.
pub use chaoslab_contract::wire::hub::Aggregation as MetricAgg;

/// `metric`: a hub series, aggregated and compared.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricProbe {
    #[serde(default)]
    pub name: Option<String>,
    /// The metric as exposed, e.g. `resilience_calls_total`.
    pub metric: Spanned<String>,
    /// Exact label matches.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub agg: MetricAgg,
    /// The window of `rate` (the hub's default otherwise).
    #[serde(default)]
    pub window: Option<Dur>,
    /// The value to use when no series matches (a counter never incremented);
    /// without it, no series fails the probe.
    #[serde(default)]
    pub missing: Option<f64>,
    pub tolerance: Spanned<Tolerance>,
    #[serde(default)]
    pub when: Option<Vec<Phase>>,
    /// How much the probe counts in the run's resilience score (1 when absent).
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
}

/// `http`: a request to a service; the tolerance may judge the status, the
/// body, and the value at `json_path`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpProbe {
    #[serde(default)]
    pub name: Option<String>,
    /// The service to call; the lab's entry service when absent.
    #[serde(default)]
    pub service: Option<Spanned<String>>,
    /// GET when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Starts with `/`, e.g. `/api/products/1`.
    pub path: Spanned<String>,
    /// A JSON body to send.
    #[serde(default)]
    pub body: Option<Value>,
    /// Log in as the lab's demo user first and send its bearer token.
    #[serde(default)]
    pub login: bool,
    /// Extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Dotted path into the JSON answer (`stock`, `items.0.id`); its value is
    /// what `equals`, `one_of`, `min` and `max` judge.
    #[serde(default)]
    pub json_path: Option<String>,
    /// How long to wait for the answer (5 s when absent).
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Tries, 500 ms apart, until one answer is within tolerance (1 when
    /// absent): on a busy machine one slow answer is not an outage.
    #[serde(default)]
    pub attempts: Option<u32>,
    pub tolerance: Spanned<Tolerance>,
    #[serde(default)]
    pub when: Option<Vec<Phase>>,
    /// How much the probe counts in the run's resilience score (1 when absent).
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
}

/// `resilience`: a field of a dependency's status on a service's admin API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResilienceProbe {
    #[serde(default)]
    pub name: Option<String>,
    /// The caller, e.g. `orders`.
    pub service: Spanned<String>,
    /// The dependency, e.g. `payments`.
    pub dependency: Spanned<String>,
    /// Dotted path into the status; `breaker.state` when absent (closed,
    /// half_open, open). Others: `in_flight`, `totals.rejected_circuit_open`.
    #[serde(default)]
    pub field: Option<String>,
    pub tolerance: Spanned<Tolerance>,
    #[serde(default)]
    pub when: Option<Vec<Phase>>,
    /// How much the probe counts in the run's resilience score (1 when absent).
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
}

/// `trace`: the number of traces the hub holds that match a filter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceProbe {
    #[serde(default)]
    pub name: Option<String>,
    /// Only traces touching this service.
    #[serde(default)]
    pub service: Option<Spanned<String>>,
    /// Only traces with an error span.
    #[serde(default)]
    pub errors_only: bool,
    /// Only traces carrying a fault injection.
    #[serde(default)]
    pub faults_only: bool,
    /// Only traces at least this long.
    #[serde(default)]
    pub min_duration: Option<Dur>,
    /// Only traces that started this recently.
    #[serde(default)]
    pub window: Option<Dur>,
    pub tolerance: Spanned<Tolerance>,
    #[serde(default)]
    pub when: Option<Vec<Phase>>,
    /// How much the probe counts in the run's resilience score (1 when absent).
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
}

impl Probe {
    /// The kind, as written in files.
    pub fn kind(&self) -> &'static str {
        match self {
            Probe::Slo(_) => "slo",
            Probe::Metric(_) => "metric",
            Probe::Http(_) => "http",
            Probe::Resilience(_) => "resilience",
            Probe::Trace(_) => "trace",
        }
    }

    /// The name given, or one made from what the probe reads.
    pub fn name(&self) -> String {
        let given = match self {
            Probe::Slo(p) => &p.name,
            Probe::Metric(p) => &p.name,
            Probe::Http(p) => &p.name,
            Probe::Resilience(p) => &p.name,
            Probe::Trace(p) => &p.name,
        };
        if let Some(n) = given {
            return n.clone();
        }
        match self {
            Probe::Slo(p) => format!("{} {}", p.journey.value, p.measure.as_str()),
            Probe::Metric(p) => format!("{}({})", p.agg.as_str(), p.metric.value),
            Probe::Http(p) => format!("{} {}", p.method.as_deref().unwrap_or("GET"), p.path.value),
            Probe::Resilience(p) => format!(
                "{} -> {} {}",
                p.service.value,
                p.dependency.value,
                p.field.as_deref().unwrap_or("breaker.state")
            ),
            Probe::Trace(_) => "matching traces".to_string(),
        }
    }

    /// The tolerance.
    pub fn tolerance(&self) -> &Spanned<Tolerance> {
        match self {
            Probe::Slo(p) => &p.tolerance,
            Probe::Metric(p) => &p.tolerance,
            Probe::Http(p) => &p.tolerance,
            Probe::Resilience(p) => &p.tolerance,
            Probe::Trace(p) => &p.tolerance,
        }
    }

    /// The weight as written, if any.
    pub fn weight_spanned(&self) -> Option<&Spanned<f64>> {
        match self {
            Probe::Slo(p) => p.weight.as_ref(),
            Probe::Metric(p) => p.weight.as_ref(),
            Probe::Http(p) => p.weight.as_ref(),
            Probe::Resilience(p) => p.weight.as_ref(),
            Probe::Trace(p) => p.weight.as_ref(),
        }
    }

    /// Its share of the resilience score: the weight given, else 1.
    pub fn weight(&self) -> f64 {
        self.weight_spanned().map_or(1.0, |w| w.value)
    }

    /// Whether the probe is checked in `phase`.
    pub fn checked_in(&self, phase: Phase) -> bool {
        let when = match self {
            Probe::Slo(p) => &p.when,
            Probe::Metric(p) => &p.when,
            Probe::Http(p) => &p.when,
            Probe::Resilience(p) => &p.when,
            Probe::Trace(p) => &p.when,
        };
        when.as_ref().is_none_or(|w| w.contains(&phase))
    }
}
