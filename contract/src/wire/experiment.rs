//! `/api/experiment` on the wire: the live view of the experiment running
//! against a lab. The runner builds an [`ExperimentView`] after every step
//! and `PUT`s it to the hub, which refuses a body that is not one (400
//! naming what is wrong) and keeps it until the runner `DELETE`s it or it
//! goes stale; the dashboard's Experiment screen `GET`s it (a 404: no
//! experiment running).
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /api/experiment` | | [`ExperimentView`], or 404 |
//! | `PUT /api/experiment` | [`ExperimentView`] | 204 |
//! | `DELETE /api/experiment` | | 204 |

use serde::{Deserialize, Serialize};

/// A running (or just finished) experiment, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentView {
    /// The experiment's title from its file.
    pub title: String,
    /// The file it came from, for the header.
    #[serde(default)]
    pub file: String,
    /// Where the run is.
    pub phase: ExperimentPhase,
    /// Milliseconds since the run started.
    #[serde(default)]
    pub elapsed_ms: u64,
    /// The method's steps (and rollbacks) in order.
    #[serde(default)]
    pub steps: Vec<StepView>,
    /// The steady-state hypothesis' probes with their latest values.
    #[serde(default)]
    pub hypothesis: Vec<ProbeView>,
}

/// The phases of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentPhase {
    /// Checking the hypothesis before the method.
    SteadyStateBefore,
    /// Running the method's actions.
    Method,
    /// Checking the hypothesis after the method.
    SteadyStateAfter,
    /// Running the rollbacks.
    Rollback,
    /// Finished; every hypothesis held.
    Passed,
    /// Finished; a hypothesis did not hold.
    Failed,
    /// Could not run (bad file, lab unreachable).
    Aborted,
}

impl ExperimentPhase {
    /// Human wording.
    pub fn label(self) -> &'static str {
        match self {
            ExperimentPhase::SteadyStateBefore => "checking steady state (before)",
            ExperimentPhase::Method => "running method",
            ExperimentPhase::SteadyStateAfter => "checking steady state (after)",
            ExperimentPhase::Rollback => "rolling back",
            ExperimentPhase::Passed => "PASSED",
            ExperimentPhase::Failed => "FAILED",
            ExperimentPhase::Aborted => "ABORTED",
        }
    }
}

/// One step of the method or of the rollbacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    /// What the step does, e.g. `latency 300ms on echo for 30s`.
    pub name: String,
    /// Pending, running, done, failed, skipped.
    pub status: StepStatus,
    /// Offset from the start of the run, ms (when it started).
    #[serde(default)]
    pub at_ms: Option<u64>,
    /// A result or error message.
    #[serde(default)]
    pub detail: String,
}

/// The state of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

/// One probe of the steady-state hypothesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeView {
    /// The probe's name, e.g. `checkout p99`.
    pub name: String,
    /// The tolerance as written, e.g. `<= 500ms`.
    pub tolerance: String,
    /// The latest measured value, formatted, e.g. `412ms`.
    #[serde(default)]
    pub value: Option<String>,
    /// Whether the latest value is within tolerance; `None` before the first.
    #[serde(default)]
    pub ok: Option<bool>,
}
