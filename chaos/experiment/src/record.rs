//! The steps of one experiment as they happen: kept for the journal and
//! printed as one live line each.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tokio::time::Instant;

use crate::journal::{Step, StepPhase, StepStatus, unix_ms};
use crate::observe::Observation;
use crate::tolerance::show;

/// Collects steps and prints them.
#[derive(Debug)]
pub struct Recorder {
    start: Instant,
    pub start_unix_ms: u64,
    steps: Mutex<Vec<Step>>,
    deviated: AtomicBool,
    print: bool,
    /// Each probe's reading before the method, by its index in the file.
    baselines: Mutex<BTreeMap<usize, Value>>,
    /// Posts the live view to the lab's hub after each step.
    live: Option<crate::live::Live>,
}

impl Recorder {
    /// A recorder whose clock starts now; `print` sends live lines to stdout.
    pub fn new(print: bool) -> Self {
        Self {
            start: Instant::now(),
            start_unix_ms: unix_ms(),
            steps: Mutex::new(Vec::new()),
            deviated: AtomicBool::new(false),
            print,
            baselines: Mutex::new(BTreeMap::new()),
            live: None,
        }
    }

    /// Also post the live view through `live` after every step.
    pub fn with_live(mut self, live: Option<crate::live::Live>) -> Self {
        self.live = live;
        self
    }

    /// Posts the final verdict to the live view, if any.
    pub fn finish(&self, verdict: crate::journal::Verdict) {
        if let Some(live) = &self.live {
            live.finish(
                &self.steps(),
                self.start.elapsed().as_millis() as u64,
                verdict,
            );
        }
    }

    /// When the experiment started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Whether any check had a probe out of tolerance.
    pub fn deviated(&self) -> bool {
        self.deviated.load(Ordering::Relaxed)
    }

    /// Records a step that began at `began`.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &self,
        phase: StepPhase,
        kind: &str,
        name: &str,
        began: Instant,
        status: StepStatus,
        message: Option<String>,
        observations: Vec<Observation>,
    ) {
        if status == StepStatus::Failed {
            self.deviated.store(true, Ordering::Relaxed);
        }
        let at = began.saturating_duration_since(self.start);
        let step = Step {
            phase,
            kind: kind.to_string(),
            name: name.to_string(),
            at_ms: at.as_millis() as u64,
            unix_ms: self.start_unix_ms + at.as_millis() as u64,
            duration_ms: began.elapsed().as_millis() as u64,
            status,
            message,
            observations,
        };
        if self.print {
            println!("{}", line(&step));
        }
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        steps.push(step);
        if let Some(live) = &self.live {
            live.publish(&steps, self.start.elapsed().as_millis() as u64);
        }
    }

    /// The reading of probe `index` before the method.
    pub fn baseline(&self, index: usize) -> Option<Value> {
        self.baselines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&index)
            .cloned()
    }

    /// Keeps the reading of probe `index` before the method.
    pub fn set_baseline(&self, index: usize, value: Value) {
        self.baselines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(index, value);
    }

    /// The steps so far.
    pub fn steps(&self) -> Vec<Step> {
        self.steps.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The live line(s) of a step.
pub fn line(step: &Step) -> String {
    let mark = match step.status {
        StepStatus::Ok => "ok",
        StepStatus::Failed => "DEVIATED",
        StepStatus::Error => "ERROR",
    };
    let mut out = format!(
        "{:>7.1}s  {:<8} {:<5} {} [{}]",
        step.at_ms as f64 / 1000.0,
        step.phase.as_str(),
        if step.kind == "check" {
            "check"
        } else {
            "step"
        },
        step.name,
        mark
    );
    if let Some(m) = &step.message {
        out.push_str(&format!(" {m}"));
    }
    if step.duration_ms >= 1000 {
        out.push_str(&format!(" (took {:.1}s)", step.duration_ms as f64 / 1000.0));
    }
    for o in &step.observations {
        let verdict = if o.ok {
            "ok".to_string()
        } else {
            format!("OUT: {}", o.reason.as_deref().unwrap_or(""))
        };
        out.push_str(&format!(
            "\n             {} = {} ({}) {}",
            o.probe,
            show(&o.value),
            o.tolerance_text,
            verdict
        ));
    }
    out
}
