//! The load generator's control API on the wire (`/load`): what `GET /load`
//! answers (and `chaoslab load` prints at the end) and what `PUT /load`
//! takes. The generator serializes these types, [`crate::client::LoadClient`]
//! reads them (the runner's `slo` probes, the dashboard's load keys, the
//! CLI, the tests).
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /load` | | [`LoadReport`] |
//! | `PUT /load` | [`LoadUpdate`] | [`LoadReport`] after the change |
//!
//! Errors are `{"error": "...", "status": N}`. Latencies are ms from the
//! intended send time (no coordinated omission).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Relative weights of the journeys, by name: what `GET /load` shows and
/// `PUT /load` changes. Only the ratios matter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Weights(pub BTreeMap<String, f64>);

impl Weights {
    /// The weight of journey `name` (0 when it has none).
    pub fn get(&self, name: &str) -> f64 {
        self.0.get(name).copied().unwrap_or(0.0)
    }

    /// Checks every weight is finite and >= 0 and that one is > 0.
    pub fn validate(&self) -> Result<(), String> {
        for (name, w) in &self.0 {
            if !w.is_finite() || *w < 0.0 {
                return Err(format!("{name} must be a finite number >= 0, got {w}"));
            }
        }
        if self.0.values().all(|w| *w == 0.0) {
            return Err("at least one weight must be > 0".into());
        }
        Ok(())
    }
}

/// The body of `PUT /load`: every field optional, unknown ones refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadUpdate {
    /// Arrivals per second; 0 pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Weights to change by journey name; the ones left out keep theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
}

/// One journey's numbers (or all journeys' together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyReport {
    /// Arrivals, dropped ones included.
    pub requests: u64,
    pub success: u64,
    /// client_error + server_error + timeout + error.
    pub errors: u64,
    /// Arrivals not sent because `max_in_flight` journeys were already running.
    pub dropped: u64,
    /// success / requests; `null` with no requests.
    pub success_ratio: Option<f64>,
    /// Latency percentiles of the journeys that were sent, in ms; `null` with none.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Count per outcome label (success, client_error, server_error, timeout, error, dropped).
    pub outcomes: BTreeMap<String, u64>,
    /// Failed journeys by the step that failed (`2 POST /orders`).
    #[serde(default)]
    pub failed_steps: BTreeMap<String, u64>,
}

impl JourneyReport {
    /// Count of one outcome label (0 when absent).
    pub fn outcome(&self, name: &str) -> u64 {
        self.outcomes.get(name).copied().unwrap_or(0)
    }
}

/// Counts since the generator started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TotalsReport {
    pub elapsed_secs: f64,
    pub journeys: BTreeMap<String, JourneyReport>,
    pub all: JourneyReport,
}

/// The generator's state and numbers: `GET /load`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Base URL of the lab's entry service under load.
    pub target: String,
    /// Target arrivals per second (0: paused).
    pub rate: f64,
    /// The arrival loop is active (it may be paused at rate 0); false once
    /// it stopped, while the last journeys may still be in flight.
    pub running: bool,
    pub poisson: bool,
    pub weights: Weights,
    /// Journeys in flight now, and the bound over which arrivals are dropped.
    pub in_flight: usize,
    pub max_in_flight: usize,
    /// Length of the sliding window that `journeys` and `all` cover.
    pub window_secs: u64,
    /// Per journey over the last `window_secs` seconds.
    pub journeys: BTreeMap<String, JourneyReport>,
    /// All journeys over the last `window_secs` seconds.
    pub all: JourneyReport,
    pub totals: TotalsReport,
}
