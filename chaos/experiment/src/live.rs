//! The live view of a running experiment, put to the lab's hub
//! (`PUT /api/experiment`, the contract's [`ExperimentView`]) after every
//! step, so the dashboard's Experiment screen shows the steps and the
//! hypothesis as they happen. Best effort: a hub that is down never slows or
//! fails the run.

use std::time::Duration;

use chaoslab_contract::client::HubClient;
use chaoslab_contract::wire::experiment::{
    ExperimentPhase, ExperimentView, ProbeView, StepStatus as ViewStatus, StepView,
};
use serde_json::Value;

use crate::journal::{Step, StepPhase, StepStatus, Verdict};

/// How long one put may take: the run does not wait for it anyway.
const PUT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where and what to put.
#[derive(Debug, Clone)]
pub struct Live {
    hub: HubClient,
    title: String,
    file: String,
}

impl Live {
    /// A poster to `hub`, or none when the lab has no hub.
    pub fn new(hub: Option<&str>, title: &str, file: &str) -> Option<Self> {
        let hub = HubClient::new(hub?).ok()?.with_timeout(PUT_TIMEOUT);
        Some(Self {
            hub,
            title: title.to_string(),
            file: file.to_string(),
        })
    }

    /// Puts the view after a step (phase from the newest step).
    pub fn publish(&self, steps: &[Step], elapsed_ms: u64) {
        let phase = match steps.last().map(|s| s.phase) {
            Some(StepPhase::Setup | StepPhase::Before) | None => ExperimentPhase::SteadyStateBefore,
            Some(StepPhase::Method | StepPhase::During) => ExperimentPhase::Method,
            Some(StepPhase::After) => ExperimentPhase::SteadyStateAfter,
            Some(StepPhase::Rollback) => ExperimentPhase::Rollback,
        };
        self.put(view(&self.title, &self.file, phase, steps, elapsed_ms));
    }

    /// Puts the final verdict.
    pub fn finish(&self, steps: &[Step], elapsed_ms: u64, verdict: Verdict) {
        let phase = match verdict {
            Verdict::Held => ExperimentPhase::Passed,
            Verdict::Failed => ExperimentPhase::Failed,
            Verdict::Error => ExperimentPhase::Aborted,
        };
        self.put(view(&self.title, &self.file, phase, steps, elapsed_ms));
    }

    fn put(&self, view: ExperimentView) {
        let hub = self.hub.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = hub.put_experiment(&view).await;
            });
        }
    }
}

/// The view of a run: its steps (checks aside) and the newest reading of
/// each probe.
pub fn view(
    title: &str,
    file: &str,
    phase: ExperimentPhase,
    steps: &[Step],
    elapsed_ms: u64,
) -> ExperimentView {
    let step_views = steps
        .iter()
        .filter(|s| s.kind != "check")
        .map(|s| StepView {
            name: s.name.clone(),
            status: match s.status {
                StepStatus::Ok => ViewStatus::Done,
                _ => ViewStatus::Failed,
            },
            at_ms: Some(s.at_ms),
            detail: s.message.clone().unwrap_or_default(),
        })
        .collect();
    let mut hypothesis: Vec<ProbeView> = Vec::new();
    for s in steps.iter().filter(|s| s.kind == "check") {
        for o in &s.observations {
            let entry = ProbeView {
                name: o.probe.clone(),
                tolerance: o.tolerance_text.clone(),
                value: match &o.value {
                    Value::Null => None,
                    Value::String(v) => Some(v.clone()),
                    v => Some(v.to_string()),
                },
                ok: Some(o.ok),
            };
            match hypothesis.iter_mut().find(|p| p.name == o.probe) {
                Some(p) => *p = entry,
                None => hypothesis.push(entry),
            }
        }
    }
    ExperimentView {
        title: title.to_string(),
        file: file.to_string(),
        phase,
        elapsed_ms,
        steps: step_views,
        hypothesis,
    }
}
