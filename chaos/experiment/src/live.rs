//! The live view of a running experiment, posted to the lab's hub
//! (`PUT /api/experiment`) after every step, so the dashboard's Experiment
//! screen shows the steps and the hypothesis as they happen. Best effort: a
//! hub that is down never slows or fails the run.

use serde_json::{Value, json};

use crate::journal::{Step, StepPhase, StepStatus, Verdict};

/// Where and what to post.
#[derive(Debug, Clone)]
pub struct Live {
    url: String,
    title: String,
    file: String,
    http: reqwest::Client,
}

impl Live {
    /// A poster to `hub`, or none when the lab has no hub.
    pub fn new(hub: Option<&str>, title: &str, file: &str) -> Option<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(2))
            .build()
            .ok()?;
        Some(Self {
            url: format!("{}/api/experiment", hub?.trim_end_matches('/')),
            title: title.to_string(),
            file: file.to_string(),
            http,
        })
    }

    /// Posts the view after a step (phase from the newest step).
    pub fn publish(&self, steps: &[Step], elapsed_ms: u64) {
        let phase = match steps.last().map(|s| s.phase) {
            Some(StepPhase::Setup | StepPhase::Before) | None => "steady_state_before",
            Some(StepPhase::Method | StepPhase::During) => "method",
            Some(StepPhase::After) => "steady_state_after",
            Some(StepPhase::Rollback) => "rollback",
        };
        self.post(view(&self.title, &self.file, phase, steps, elapsed_ms));
    }

    /// Posts the final verdict.
    pub fn finish(&self, steps: &[Step], elapsed_ms: u64, verdict: Verdict) {
        let phase = match verdict {
            Verdict::Held => "passed",
            Verdict::Failed => "failed",
            Verdict::Error => "aborted",
        };
        self.post(view(&self.title, &self.file, phase, steps, elapsed_ms));
    }

    fn post(&self, body: Value) {
        let (http, url) = (self.http.clone(), self.url.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = http.put(url).json(&body).send().await;
            });
        }
    }
}

/// The view's JSON: what the dashboard's `ExperimentView` reads.
pub fn view(title: &str, file: &str, phase: &str, steps: &[Step], elapsed_ms: u64) -> Value {
    let step_views: Vec<Value> = steps
        .iter()
        .filter(|s| s.kind != "check")
        .map(|s| {
            json!({
                "name": s.name,
                "status": match s.status { StepStatus::Ok => "done", _ => "failed" },
                "at_ms": s.at_ms,
                "detail": s.message.clone().unwrap_or_default(),
            })
        })
        .collect();
    // The newest reading of each probe.
    let mut probes: Vec<(String, Value)> = Vec::new();
    for s in steps.iter().filter(|s| s.kind == "check") {
        for o in &s.observations {
            let entry = json!({
                "name": o.probe,
                "tolerance": o.tolerance_text,
                "value": match &o.value { Value::Null => Value::Null, Value::String(v) => json!(v), v => json!(v.to_string()) },
                "ok": o.ok,
            });
            match probes.iter_mut().find(|(n, _)| *n == o.probe) {
                Some(p) => p.1 = entry,
                None => probes.push((o.probe.clone(), entry)),
            }
        }
    }
    json!({
        "title": title,
        "file": file,
        "phase": phase,
        "elapsed_ms": elapsed_ms,
        "steps": step_views,
        "hypothesis": probes.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    })
}
