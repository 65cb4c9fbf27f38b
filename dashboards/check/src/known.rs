//! The lab's vocabulary: which metric names, label names and label values a
//! query may use. Built from `chaoslab_kit::names` (the metric contract),
//! the lab file (services, proxies, journeys) and the names of the recording
//! rules shipped beside the dashboards.

use std::collections::{BTreeMap, BTreeSet};

use chaoslab_contract::{Lab, lab::RESERVED_NAMES};
use chaoslab_kit::names::{ALL_METRICS, HTTP_DURATION_BUCKETS, label};

/// Labels Prometheus itself adds, the histogram bucket label, and
/// Toxiproxy's byte-counter labels (kept exactly as Toxiproxy names them).
const OTHER_LABELS: &[&str] = &[
    "job",
    "instance",
    "le",
    "direction",
    "listener",
    "proxy",
    "upstream",
];

/// Outcomes of a call through a resilience policy.
pub const OUTCOMES: &[&str] = &[
    "success",
    "failure",
    "timeout",
    "rejected_circuit_open",
    "rejected_bulkhead",
    "fallback",
];

/// Outcomes of a load-generator journey, as the user saw it.
pub const LOADGEN_OUTCOMES: &[&str] = &[
    "success",
    "client_error",
    "server_error",
    "timeout",
    "error",
    "dropped",
];

/// What a query may refer to.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub metrics: BTreeSet<String>,
    pub labels: BTreeSet<String>,
    /// For some labels, the only values that exist.
    pub values: BTreeMap<String, BTreeSet<String>>,
    /// The same for the load generator's metrics, whose `outcome` differs.
    pub loadgen_values: BTreeMap<String, BTreeSet<String>>,
}

impl Vocabulary {
    /// The contract's metrics (with `_bucket`, `_count`, `_sum`), `up`, and
    /// the given recording-rule names; label values from `lab`.
    pub fn new(recorded: &[String], lab: &Lab) -> Self {
        let mut metrics: BTreeSet<String> = BTreeSet::from(["up".to_string()]);
        for m in ALL_METRICS {
            metrics.insert(m.to_string());
            for suffix in ["_bucket", "_count", "_sum"] {
                metrics.insert(format!("{m}{suffix}"));
            }
        }
        metrics.extend(recorded.iter().cloned());
        let labels = label::ALL
            .iter()
            .chain(OTHER_LABELS)
            .map(|s| s.to_string())
            .collect();
        let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        // The processes, as they appear in `service` and `job`: the lab's
        // services and its own processes (agent, hub, loadgen).
        let mut processes = lab.service_names();
        processes.extend(RESERVED_NAMES);
        let processes: &[&str] = &processes;
        let callees: &[&str] = &lab.proxies();
        let journeys: &[&str] = &lab.journey_names();
        let values = BTreeMap::from([
            (label::OUTCOME.to_string(), set(OUTCOMES)),
            (label::SERVICE.to_string(), set(processes)),
            ("job".to_string(), set(processes)),
            (label::DEPENDENCY.to_string(), set(callees)),
            (label::SERVER_ADDRESS.to_string(), set(callees)),
            ("proxy".to_string(), set(callees)),
            // The HTTP histograms' bucket bounds, as the exporter writes them.
            ("le".to_string(), http_bucket_bounds()),
        ]);
        let loadgen_values = BTreeMap::from([
            (label::OUTCOME.to_string(), set(LOADGEN_OUTCOMES)),
            (label::JOURNEY.to_string(), set(journeys)),
        ]);
        Self {
            metrics,
            labels,
            values,
            loadgen_values,
        }
    }

    /// Why a matcher's value cannot match anything the lab emits, if so.
    /// Only equality matchers and plain alternations (`a|b`) are judged.
    /// The load generator's `outcome` has its own vocabulary.
    pub fn bad_value(&self, metric: &str, label: &str, op: &str, value: &str) -> Option<String> {
        let table = if metric.starts_with("loadgen_") || metric.contains(":loadgen_") {
            &self.loadgen_values
        } else {
            &self.values
        };
        let allowed = table.get(label)?;
        let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let alternatives: Vec<&str> = match op {
            "=" => vec![value],
            "=~" if value.split('|').all(plain) => value.split('|').collect(),
            _ => return None,
        };
        let unknown: Vec<&str> = alternatives
            .into_iter()
            .filter(|v| !v.is_empty() && !allowed.contains(*v))
            .collect();
        (!unknown.is_empty()).then(|| {
            format!(
                "label {label} has no value {} (known: {})",
                unknown.join(", "),
                allowed.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// `le` values of the HTTP duration histograms: `0.005`, ..., `10`, `+Inf`.
fn http_bucket_bounds() -> BTreeSet<String> {
    let mut bounds: BTreeSet<String> = HTTP_DURATION_BUCKETS
        .iter()
        .map(|b| b.to_string())
        .collect();
    bounds.insert("+Inf".to_string());
    bounds
}
