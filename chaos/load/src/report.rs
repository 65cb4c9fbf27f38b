//! What `GET /load` answers and what `chaoslab load` prints at the end: the
//! rate, and per journey the counts, success ratio and latency percentiles
//! (from the intended send time) over a sliding window and since start.

use crate::config::Weights;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One journey's numbers (or all journeys' together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotalsReport {
    pub elapsed_secs: f64,
    pub journeys: BTreeMap<String, JourneyReport>,
    pub all: JourneyReport,
}

/// The generator's state and numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

fn row(f: &mut fmt::Formatter<'_>, name: &str, r: &JourneyReport) -> fmt::Result {
    let ratio = r
        .success_ratio
        .map(|s| format!("{:.2}%", s * 100.0))
        .unwrap_or_else(|| "-".into());
    writeln!(
        f,
        "{:<13} {:>9} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        name,
        r.requests,
        r.success,
        r.errors,
        r.dropped,
        ratio,
        ms(r.p50_ms),
        ms(r.p95_ms),
        ms(r.p99_ms),
        ms(r.max_ms)
    )
}

impl fmt::Display for LoadReport {
    /// The totals since start, one line per journey and one for all.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        let achieved = if t.elapsed_secs > 0.0 {
            t.all.requests as f64 / t.elapsed_secs
        } else {
            0.0
        };
        writeln!(
            f,
            "load: {:.1} s, target rate {:.1}/s ({}), achieved {:.1} arrivals/s",
            t.elapsed_secs,
            self.rate,
            if self.poisson { "poisson" } else { "constant" },
            achieved
        )?;
        writeln!(
            f,
            "{:<13} {:>9} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "journey",
            "requests",
            "success",
            "errors",
            "dropped",
            "success",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms"
        )?;
        for (name, r) in &t.journeys {
            row(f, name, r)?;
        }
        row(f, "all", &t.all)?;
        let mut failures: Vec<String> = t
            .all
            .outcomes
            .iter()
            .filter(|(k, v)| k.as_str() != "success" && **v > 0)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !failures.is_empty() {
            failures.sort();
            writeln!(f, "failures: {}", failures.join(" "))?;
        }
        for (name, r) in &t.journeys {
            for (step, n) in &r.failed_steps {
                writeln!(f, "  {name} failed at step {step}: {n}")?;
            }
        }
        Ok(())
    }
}
