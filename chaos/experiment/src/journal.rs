//! What a run did, step by step: the JSON journal (`--journal FILE`), which
//! the JUnit and Markdown reports are made from.
//!
//! ```json
//! {"version": 1, "verdict": "failed", "started_unix_ms": ..., "duration_ms": ...,
//!  "experiments": [{"file": "...", "title": "...", "verdict": "failed", "error": null,
//!    "steps": [{"phase": "during", "kind": "check", "name": "payments failing",
//!               "at_ms": 15012, "unix_ms": ..., "duration_ms": 12, "status": "failed",
//!               "observations": [{"probe": "checkout p95_ms", "value": 2400,
//!                 "tolerance": {"max": 1000}, "tolerance_text": "<= 1000", "ok": false,
//!                 "reason": "2400 is above 1000"}]}]}]}
//! ```

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::RunError;
use crate::observe::Observation;

/// How a run (or one experiment) ended. The process exit code is the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every hypothesis held: exit 0.
    Held = 0,
    /// A hypothesis did not hold: exit 1.
    Failed = 1,
    /// The experiment could not run (bad file, lab trouble, interrupted): exit 2.
    Error = 2,
}

impl Verdict {
    /// The process exit code.
    pub fn exit_code(self) -> i32 {
        self as i32
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Held => "held",
            Verdict::Failed => "failed",
            Verdict::Error => "error",
        }
    }
}

/// Where in the experiment a step happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepPhase {
    /// Setting the load and letting it settle.
    Setup,
    /// The hypothesis before the method.
    Before,
    /// A method action.
    Method,
    /// A hypothesis check while the method runs.
    During,
    /// The hypothesis after the method.
    After,
    /// A rollback (the runner's own restorations first, then the file's).
    Rollback,
}

impl StepPhase {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepPhase::Setup => "setup",
            StepPhase::Before => "before",
            StepPhase::Method => "method",
            StepPhase::During => "during",
            StepPhase::After => "after",
            StepPhase::Rollback => "rollback",
        }
    }
}

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Done; for a check, every probe within tolerance.
    Ok,
    /// A check with a probe out of tolerance.
    Failed,
    /// The step could not be carried out.
    Error,
}

/// One step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub phase: StepPhase,
    /// `check` for hypothesis checks; the action kind (`fault`, `wait`...)
    /// or `undo` for the runner's own restorations.
    pub kind: String,
    /// What the step was: the check's label, the action described.
    pub name: String,
    /// When it started, ms since the experiment started.
    pub at_ms: u64,
    /// When it started, Unix ms.
    pub unix_ms: u64,
    /// How long it took.
    pub duration_ms: u64,
    pub status: StepStatus,
    /// What went wrong, or a note (a fault's id, a clamped duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Checks: each probe's reading.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
}

/// One experiment file's run.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentRecord {
    pub file: PathBuf,
    pub title: String,
    pub description: String,
    pub verdict: Verdict,
    /// Why it could not run, for an `error` verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_unix_ms: u64,
    pub duration_ms: u64,
    /// The resilience score (weighted probe success); none when no probe was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<crate::score::Score>,
    pub steps: Vec<Step>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Journal {
    /// Bumped when the shape changes incompatibly.
    pub version: u32,
    pub verdict: Verdict,
    pub started_unix_ms: u64,
    pub duration_ms: u64,
    /// The run's resilience score over every experiment's probes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<crate::score::Score>,
    pub experiments: Vec<ExperimentRecord>,
}

impl Journal {
    /// Writes the journal as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<(), RunError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| output_error(path, e))?;
        std::fs::write(path, text + "\n").map_err(|e| output_error(path, e))
    }
}

/// An error writing an output file.
pub fn output_error(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Now, Unix ms.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
