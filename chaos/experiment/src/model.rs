//! The experiment file, as plain serde types.
//!
//! ```yaml
//! title: Inventory down, product pages still served
//! description: What the catalog's fallback does when inventory is gone.
//! load: { rate: 20, settle: 10s }
//! steady_state:
//!   probes:
//!     - slo: { journey: view_product, measure: error_rate, tolerance: { max: 0.05 } }
//! method:
//!   - fault: { kind: reset_peer, target: inventory, duration: 30s }
//!   - wait: 15s
//!   - check: inventory is down
//! rollbacks:
//!   - clear_faults: {}
//! ```
//!
//! Layout: the document, load and hypothesis here; probes in
//! [`probes`]; actions in [`actions`]. Fields whose meaning depends on the
//! lab (targets, journeys) are [`Spanned`] so that the checks in
//! [`crate::parse`] can point at them.

pub mod actions;
pub mod probes;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use chaoslab_contract::wire::load::Weights;
pub use serde_saphyr::Spanned;

pub use actions::{
    Action, FaultAction, FaultKind, Layer, PolicyAction, ProcessAction, ProcessStep, SettingsAction,
};
pub use probes::{
    HttpProbe, MetricAgg, MetricProbe, Probe, ResilienceProbe, SloMeasure, SloProbe, TraceProbe,
};

use crate::duration::Dur;

/// One experiment file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// One line: what this experiment shows.
    pub title: String,
    /// What happens and why it matters; free text.
    #[serde(default)]
    pub description: String,
    /// The traffic to run while the experiment lasts; none leaves the load
    /// generator as it is.
    #[serde(default)]
    pub load: Option<Spanned<Load>>,
    /// What "working" means, checked before, during and after the method.
    pub steady_state: SteadyState,
    /// The timed actions.
    #[serde(default)]
    pub method: Vec<Spanned<Action>>,
    /// Actions that always run at the end, whatever happened.
    #[serde(default)]
    pub rollbacks: Vec<Spanned<Action>>,
    /// The longest the experiment may take; faults it adds never outlast it.
    /// Defaults to the settle time plus the method's waits plus one minute.
    #[serde(default)]
    pub max_duration: Option<Spanned<Dur>>,
}

/// The load to apply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// Journeys per second.
    pub rate: f64,
    /// The journeys' mix: weights by journey name, as `PUT /load` takes
    /// them (the ones left out keep theirs); restored by the rollbacks.
    #[serde(default)]
    pub weights: Option<Spanned<Weights>>,
    /// Time to let the numbers settle before the first check.
    #[serde(default)]
    pub settle: Option<Dur>,
}

/// The steady-state hypothesis.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteadyState {
    /// A name for the hypothesis, shown in reports.
    #[serde(default)]
    pub title: Option<String>,
    /// How the hypothesis is checked while the method runs.
    #[serde(default)]
    pub during: During,
    /// The interval of continuous checks.
    #[serde(default)]
    pub every: Option<Dur>,
    /// The probes; all must be within tolerance for the hypothesis to hold.
    pub probes: Vec<Spanned<Probe>>,
}

/// When the hypothesis is checked while the method runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum During {
    /// Only at the method's `check` steps.
    #[default]
    Checks,
    /// Every `every` (default 2 s) while the method runs, and at `check` steps.
    Continuous,
}

/// When a probe is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Before,
    During,
    After,
}

impl Phase {
    /// All three, in order.
    pub const ALL: [Phase; 3] = [Phase::Before, Phase::During, Phase::After];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Before => "before",
            Phase::During => "during",
            Phase::After => "after",
        }
    }
}

/// What a probe's observed value must be. Every criterion given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// The value is a number no greater than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The value is a number no less than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The value equals this (`null` included).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub equals: Option<Value>,
    /// The value is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    /// HTTP probes: the status is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusSet>,
    /// HTTP probes: the body contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The value equals what the same probe read before the method (its
    /// baseline); the probe must be checked `before`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unchanged: bool,
    /// The value is a number within this distance of the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_change: Option<f64>,
}

/// One status or several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StatusSet {
    One(u16),
    Many(Vec<u16>),
}

impl StatusSet {
    /// The statuses as a list.
    pub fn codes(&self) -> Vec<u16> {
        match self {
            StatusSet::One(s) => vec![*s],
            StatusSet::Many(v) => v.clone(),
        }
    }
}

/// Reads a present field as `Some`, `null` included (`equals: null`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl Tolerance {
    /// Whether no criterion is given.
    pub fn is_empty(&self) -> bool {
        self == &Tolerance::default()
    }
}
