//! Running experiment files against a lab.
//!
//! ```text
//!  validate every file ──> take the lab's lock ──> for each experiment:
//!    preflight (the lab has what the file names; nothing changed yet)
//!    setup: load rate, settle
//!    before: hypothesis ── deviated? ──> skip the method
//!    method: actions in order; `check` steps (and, continuous, every N s)
//!    after: hypothesis
//!    rollbacks: the runner's undos (newest first), then the file's own
//!  ──> journal, JUnit, report; the worst verdict is the exit code
//! ```
//!
//! Ctrl-C (the `cancel` future) and the experiment's deadline stop whatever
//! phase is running; the rollbacks then still run, and cannot be cancelled.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{Fuse, FusedFuture, join_all};
use tokio::time::Instant;

use crate::act::{Actor, Undo};
use crate::duration::scale_duration;
use crate::error::RunError;
use crate::journal::{ExperimentRecord, Journal, StepPhase, StepStatus, Verdict, unix_ms};
use crate::lab::{Lab, LabEndpoints};
use crate::lock::LabLock;
use crate::model::{Action, During, Experiment, Layer, Phase, Probe};
use crate::observe::observe;
use crate::record::Recorder;
use crate::{junit, report};

/// What to write besides the live lines, and how to scale time.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The JSON journal.
    pub journal: Option<PathBuf>,
    /// A JUnit XML report (one test case per probe and phase).
    pub junit: Option<PathBuf>,
    /// A Markdown summary: before / during / after tables.
    pub report: Option<PathBuf>,
    /// Multiplies every wait, settle time and fault duration (0.2 for a
    /// short CI run); 1 runs the experiments as written.
    pub time_scale: f64,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            journal: None,
            junit: None,
            report: None,
            time_scale: 1.0,
        }
    }
}

/// Interval of continuous checks when the file gives none.
const DEFAULT_EVERY: Duration = Duration::from_secs(2);
/// Room for probes and calls beyond the planned waits.
const DEADLINE_MARGIN: Duration = Duration::from_secs(60);

/// Runs the files in order against `lab`; see [`run_files_journal`].
pub async fn run_files(
    files: &[PathBuf],
    lab: &LabEndpoints,
    opts: &RunOptions,
    cancel: impl Future<Output = ()>,
) -> Verdict {
    run_files_journal(files, lab, opts, cancel).await.verdict
}

/// Runs the files in order against `lab` and returns the journal (also
/// written to the files `opts` names). Every file is checked first: one bad
/// file and nothing runs.
pub async fn run_files_journal(
    files: &[PathBuf],
    lab: &LabEndpoints,
    opts: &RunOptions,
    cancel: impl Future<Output = ()>,
) -> Journal {
    let started = Instant::now();
    let started_unix_ms = unix_ms();
    let mut records = Vec::new();
    let mut experiments = Vec::new();
    for file in files {
        let checked = match lab.model.as_deref() {
            Some(model) => crate::parse::validate_file(file, model).map_err(|e| e.to_string()),
            None => Err(format!(
                "{}: no lab file to check the experiment against",
                file.display()
            )),
        };
        match checked {
            Ok(exp) => experiments.push((file.clone(), exp)),
            Err(e) => {
                eprintln!("error: {e}");
                records.push(not_run(file, "", e));
            }
        }
    }
    if files.is_empty() {
        eprintln!("error: no experiment files given");
    }
    if records.is_empty() && !files.is_empty() {
        match LabLock::acquire(&lab.state_dir) {
            Err(e) => {
                eprintln!("error: {e}");
                for (file, exp) in &experiments {
                    records.push(not_run(file, &exp.title, e.to_string()));
                }
            }
            Ok(_lock) => {
                let lab = Lab::new(lab.clone());
                let mut cancel = std::pin::pin!(cancel.fuse());
                for (file, exp) in &experiments {
                    if cancel.is_terminated() {
                        records.push(not_run(file, &exp.title, "not run: interrupted".into()));
                        continue;
                    }
                    println!("== {} ({})", exp.title, file.display());
                    let rec = run_one(file, exp, &lab, opts, &mut cancel).await;
                    match &rec.score {
                        Some(sc) => println!(
                            "== {}: {} (resilience score {}%)",
                            exp.title,
                            rec.verdict.as_str(),
                            sc.percent
                        ),
                        None => println!("== {}: {}", exp.title, rec.verdict.as_str()),
                    }
                    records.push(rec);
                }
            }
        }
    }
    let verdict = if files.is_empty() {
        Verdict::Error
    } else {
        records
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Error)
    };
    let mut journal = Journal {
        version: 1,
        verdict,
        started_unix_ms,
        duration_ms: started.elapsed().as_millis() as u64,
        score: crate::score::run(records.iter().filter_map(|r| r.score.as_ref())),
        experiments: records,
    };
    if let Err(e) = write_outputs(&journal, opts) {
        eprintln!("error: {e}");
        journal.verdict = Verdict::Error;
    }
    journal
}

fn write_outputs(journal: &Journal, opts: &RunOptions) -> Result<(), RunError> {
    if let Some(p) = &opts.journal {
        journal.write(p)?;
    }
    if let Some(p) = &opts.junit {
        junit::write(journal, p)?;
    }
    if let Some(p) = &opts.report {
        report::write(journal, p)?;
    }
    Ok(())
}

fn not_run(file: &Path, title: &str, error: String) -> ExperimentRecord {
    ExperimentRecord {
        file: file.to_path_buf(),
        title: title.to_string(),
        description: String::new(),
        verdict: Verdict::Error,
        error: Some(error),
        started_unix_ms: unix_ms(),
        duration_ms: 0,
        score: None,
        steps: Vec::new(),
    }
}

/// The lab has every part and service the experiment names.
pub fn preflight(exp: &Experiment, lab: &Lab) -> Result<(), RunError> {
    let mut services: Vec<&str> = Vec::new();
    let (mut agent, mut loadgen, mut hub) = (false, exp.load.is_some(), false);
    for p in &exp.steady_state.probes {
        match &p.value {
            Probe::Slo(_) => loadgen = true,
            Probe::Metric(_) => hub = true,
            Probe::Trace(_) => hub = true,
            Probe::Http(h) => services.push(
                h.service
                    .as_ref()
                    .map(|s| s.value.as_str())
                    .unwrap_or(lab.endpoints.entry()),
            ),
            Probe::Resilience(r) => services.push(&r.service.value),
        }
    }
    for step in exp.method.iter().chain(&exp.rollbacks) {
        match &step.value {
            Action::Fault(f) if f.layer.unwrap_or(f.kind.default_layer()) == Layer::Service => {
                services.push(&f.target.value)
            }
            Action::Fault(_) | Action::Process(_) => agent = true,
            Action::Policy(p) => services.push(&p.service.value),
            Action::Settings(s) => services.push(&s.service.value),
            Action::Load(_) => loadgen = true,
            _ => {}
        }
    }
    if agent {
        lab.agent()?;
    }
    if loadgen {
        lab.loadgen()?;
    }
    if hub {
        lab.hub()?;
    }
    for s in services {
        lab.service(s)?;
    }
    Ok(())
}

/// The settle time plus the method's waits, scaled.
fn planned(exp: &Experiment, scale: f64) -> Duration {
    let settle = exp
        .load
        .as_ref()
        .and_then(|l| l.value.settle)
        .map(|d| d.0)
        .unwrap_or_default();
    let waits: Duration = exp
        .method
        .iter()
        .filter_map(|s| {
            if let Action::Wait(d) = &s.value {
                Some(d.0)
            } else {
                None
            }
        })
        .sum();
    scale_duration(settle + waits, scale)
}

fn deadline_after(exp: &Experiment, scale: f64) -> Duration {
    let plan = planned(exp, scale);
    match &exp.max_duration {
        Some(m) => scale_duration(m.value.0, scale).max(plan + Duration::from_secs(10)),
        None => plan + DEADLINE_MARGIN,
    }
}

type Cancel<'a, F> = Pin<&'a mut Fuse<F>>;

async fn run_one<F: Future<Output = ()>>(
    file: &Path,
    exp: &Experiment,
    lab: &Lab,
    opts: &RunOptions,
    cancel: &mut Cancel<'_, F>,
) -> ExperimentRecord {
    let live = crate::live::Live::new(
        lab.endpoints.hub.as_deref(),
        &exp.title,
        &file.display().to_string(),
    );
    let rec = Recorder::new(true).with_live(live);
    let mut error = None;
    if let Err(e) = preflight(exp, lab) {
        error = Some(e);
    } else {
        let ledger = Mutex::new(Vec::new());
        let limit = deadline_after(exp, opts.time_scale);
        let actor = Actor {
            lab,
            ledger: &ledger,
            deadline: rec.start() + limit,
            scale: opts.time_scale,
            counter: AtomicU32::new(0),
        };
        let body = tokio::time::timeout_at(actor.deadline, body(exp, &actor, &rec));
        let outcome = tokio::select! {
            r = body => r.unwrap_or(Err(RunError::Overran(limit))),
            _ = cancel.as_mut() => Err(RunError::Interrupted),
        };
        if let Err(e) = outcome {
            rec.step(
                StepPhase::Method,
                "stop",
                "experiment stopped",
                Instant::now(),
                StepStatus::Error,
                Some(e.to_string()),
                Vec::new(),
            );
            error = Some(e);
        }
        if let Err(e) = rollbacks(exp, &actor, &rec).await {
            error.get_or_insert(e);
        }
    }
    let verdict = match (&error, rec.deviated()) {
        (Some(_), _) => Verdict::Error,
        (None, true) => Verdict::Failed,
        (None, false) => Verdict::Held,
    };
    rec.finish(verdict);
    if let Some(e) = &error {
        eprintln!("error: {}: {e}", file.display());
    }
    let steps = rec.steps();
    ExperimentRecord {
        file: file.to_path_buf(),
        title: exp.title.clone(),
        description: exp.description.clone(),
        verdict,
        error: error.map(|e| e.to_string()),
        started_unix_ms: rec.start_unix_ms,
        duration_ms: rec.start().elapsed().as_millis() as u64,
        score: crate::score::experiment(exp, &steps),
        steps,
    }
}

/// Setup, before, method (with continuous checks), after.
async fn body(exp: &Experiment, actor: &Actor<'_>, rec: &Recorder) -> Result<(), RunError> {
    let scale = actor.scale;
    let began = Instant::now();
    if let Some(note) = crate::clock::scale_services(actor).await {
        rec.step(
            StepPhase::Setup,
            "settings",
            "the lab's clocks at the run's time scale",
            began,
            StepStatus::Ok,
            Some(note),
            Vec::new(),
        );
    }
    if let Some(load) = &exp.load {
        let began = Instant::now();
        let step = Action::Load(crate::model::actions::LoadStep {
            rate: load.value.rate,
            weights: load.value.weights.clone(),
        });
        let r = actor.act(&step).await;
        record_action(rec, StepPhase::Setup, &step, began, &r);
        r?;
        if let Some(settle) = load.value.settle {
            let began = Instant::now();
            tokio::time::sleep(settle.scaled(scale)).await;
            rec.step(
                StepPhase::Setup,
                "wait",
                &format!("settle {settle}"),
                began,
                StepStatus::Ok,
                None,
                Vec::new(),
            );
        }
    }
    if !check(exp, actor, rec, Phase::Before, "before the method").await {
        rec.step(
            StepPhase::Method,
            "skip",
            "method skipped: the steady state did not hold before it",
            Instant::now(),
            StepStatus::Ok,
            None,
            Vec::new(),
        );
        return Ok(());
    }
    let method = method(exp, actor, rec);
    if exp.steady_state.during == During::Continuous {
        let every = exp.steady_state.every.map(|d| d.0).unwrap_or(DEFAULT_EVERY);
        let every = scale_duration(every, scale).max(Duration::from_millis(100));
        let ticker = async {
            loop {
                tokio::time::sleep(every).await;
                check(exp, actor, rec, Phase::During, "continuous").await;
            }
        };
        tokio::select! {
            r = method => r?,
            _ = ticker => {}
        }
    } else {
        method.await?;
    }
    check(exp, actor, rec, Phase::After, "after the method").await;
    Ok(())
}

async fn method(exp: &Experiment, actor: &Actor<'_>, rec: &Recorder) -> Result<(), RunError> {
    for step in &exp.method {
        let began = Instant::now();
        match &step.value {
            Action::Wait(d) => {
                tokio::time::sleep(d.scaled(actor.scale)).await;
                rec.step(
                    StepPhase::Method,
                    "wait",
                    &step.value.describe(),
                    began,
                    StepStatus::Ok,
                    None,
                    Vec::new(),
                );
            }
            Action::Check(label) => {
                check(exp, actor, rec, Phase::During, label).await;
            }
            action => {
                let r = actor.act(action).await;
                record_action(rec, StepPhase::Method, action, began, &r);
                r?;
            }
        }
    }
    Ok(())
}

fn record_action(
    rec: &Recorder,
    phase: StepPhase,
    action: &Action,
    began: Instant,
    r: &Result<Option<String>, RunError>,
) {
    let (status, message) = match r {
        Ok(note) => (StepStatus::Ok, note.clone()),
        Err(e) => (StepStatus::Error, Some(e.to_string())),
    };
    rec.step(
        phase,
        action.kind(),
        &action.describe(),
        began,
        status,
        message,
        Vec::new(),
    );
}

/// Checks the probes of `phase` (concurrently); true when all held. A phase
/// with no probes is not recorded and holds.
async fn check(
    exp: &Experiment,
    actor: &Actor<'_>,
    rec: &Recorder,
    phase: Phase,
    label: &str,
) -> bool {
    let probes: Vec<(usize, &Probe)> = exp
        .steady_state
        .probes
        .iter()
        .enumerate()
        .map(|(i, p)| (i, &p.value))
        .filter(|(_, p)| p.checked_in(phase))
        .collect();
    if probes.is_empty() {
        return true;
    }
    let began = Instant::now();
    let reads = probes.iter().map(|(i, p)| {
        let baseline = if phase == Phase::Before {
            None
        } else {
            rec.baseline(*i)
        };
        observe(p, actor.lab, baseline)
    });
    let observations = join_all(reads).await;
    if phase == Phase::Before {
        for ((i, _), o) in probes.iter().zip(&observations) {
            rec.set_baseline(*i, o.value.clone());
        }
    }
    let held = observations.iter().all(|o| o.ok);
    let step_phase = match phase {
        Phase::Before => StepPhase::Before,
        Phase::During => StepPhase::During,
        Phase::After => StepPhase::After,
    };
    let status = if held {
        StepStatus::Ok
    } else {
        StepStatus::Failed
    };
    rec.step(
        step_phase,
        "check",
        label,
        began,
        status,
        None,
        observations,
    );
    held
}

/// The runner's undos, newest first, then the file's rollbacks. Every step
/// runs even when one fails; the first failure is returned.
async fn rollbacks(exp: &Experiment, actor: &Actor<'_>, rec: &Recorder) -> Result<(), RunError> {
    let undos: Vec<Undo> =
        std::mem::take(&mut *actor.ledger.lock().unwrap_or_else(|e| e.into_inner()));
    let mut first = None;
    let skip = crate::clock::superseded(&undos);
    for (undo, _) in undos.iter().zip(skip).rev().filter(|(_, s)| !s) {
        let began = Instant::now();
        let r = undo.run(actor.lab).await;
        let (status, message) = match &r {
            Ok(()) => (StepStatus::Ok, None),
            Err(e) => (StepStatus::Error, Some(e.to_string())),
        };
        rec.step(
            StepPhase::Rollback,
            "undo",
            &undo.describe(),
            began,
            status,
            message,
            Vec::new(),
        );
        if let Err(e) = r {
            first.get_or_insert(e);
        }
    }
    for step in &exp.rollbacks {
        let began = Instant::now();
        let r = match &step.value {
            Action::Wait(d) => {
                tokio::time::sleep(d.scaled(actor.scale)).await;
                Ok(None)
            }
            action => actor.act(action).await,
        };
        record_action(rec, StepPhase::Rollback, &step.value, began, &r);
        if let Err(e) = r {
            first.get_or_insert(e);
        }
    }
    // Changes the file's rollbacks made are theirs to keep.
    actor
        .ledger
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    first.map_or(Ok(()), Err)
}
