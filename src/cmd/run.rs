//! `chaoslab run FILE...`: experiments against a lab of their own (started
//! from `--lab FILE`, the shop's by default, on free ports and stopped
//! after: one command in CI) or, with `--attach`, against the running lab.
//! Every file is checked against the lab's file first.

use crate::lab::{state::LabState, up};
use chaoslab_contract::Lab;
use chaoslab_experiment::{Journal, LabEndpoints, RunOptions, Verdict};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

#[derive(Debug, Clone)]
pub struct RunArgs {
    pub files: Vec<PathBuf>,
    /// The lab file; `None`: the running lab's with `attach`, else the shop's.
    pub lab: Option<PathBuf>,
    pub attach: bool,
    pub state_dir: PathBuf,
    pub config: Option<PathBuf>,
    pub options: RunOptions,
    /// Only check the files.
    pub check: bool,
}

/// The endpoints of a lab, from its state, with its lab file's model.
pub fn endpoints(state: &LabState, state_dir: &Path, model: Arc<Lab>) -> LabEndpoints {
    LabEndpoints {
        gateway: state.entry_url.clone(),
        agent: state.agent_url.clone(),
        hub: state.hub_url.clone(),
        loadgen: state.loadgen_url.clone(),
        services: state.service_urls().into_iter().collect(),
        state_dir: state_dir.to_path_buf(),
        model: Some(model),
    }
}

/// The lab file `--lab` names, else the running lab's (attached), else the shop's.
fn model(args: &RunArgs) -> anyhow::Result<Lab> {
    let (lab, config) = match (&args.lab, args.attach) {
        (Some(l), _) => (Some(l.clone()), args.config.clone()),
        (None, true) => {
            let state = LabState::load(&args.state_dir)?;
            (state.lab.clone(), state.config.clone())
        }
        (None, false) => (None, args.config.clone()),
    };
    let dir = tempfile::tempdir()?;
    Ok(up::read_lab(lab.as_deref(), config.as_deref(), dir.path())?.0)
}

/// Runs the experiments; the verdict is the exit code.
pub async fn run(args: RunArgs) -> anyhow::Result<Verdict> {
    Ok(match run_journal(args).await? {
        Ran::Journal(j) => j.verdict,
        Ran::Not(v) => v,
    })
}

/// What [`run_journal`] came to.
pub enum Ran {
    /// The experiments ran: their journal.
    Journal(Journal),
    /// Nothing ran: files refused (an error) or only checked (held).
    Not(Verdict),
}

/// Runs the experiments and returns their journal.
pub async fn run_journal(args: RunArgs) -> anyhow::Result<Ran> {
    let lab = match model(&args) {
        Ok(lab) => Arc::new(lab),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Ran::Not(Verdict::Error));
        }
    };
    // Every file is checked before any lab starts.
    let mut bad = Vec::new();
    for f in &args.files {
        if let Err(e) = chaoslab_experiment::validate_file(f, &lab) {
            bad.push(e.to_string());
        }
    }
    if !bad.is_empty() {
        for b in &bad {
            eprintln!("error: {b}");
        }
        return Ok(Ran::Not(Verdict::Error));
    }
    if args.check {
        println!(
            "{} file(s) valid against {}",
            args.files.len(),
            lab.file.display()
        );
        return Ok(Ran::Not(Verdict::Held));
    }
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("interrupted: running rollbacks…");
    };
    if args.attach {
        let state = LabState::load(&args.state_dir)?;
        let lab = endpoints(&state, &args.state_dir, lab);
        return Ok(Ran::Journal(
            chaoslab_experiment::run_files_journal(&args.files, &lab, &args.options, cancel).await,
        ));
    }
    let dir = tempfile::tempdir()?;
    let opts = up::UpOptions {
        headless: true,
        state_dir: dir.path().to_path_buf(),
        lab: args.lab.clone(),
        config: args.config.clone(),
        ephemeral_ports: true,
        direct: false,
        load_rate: Some(1.0),
        seed: None,
        // Shared with `chaoslab up`: a temporary lab reuses the environments.
        envs: crate::lab::prepare::envs_dir(None, &crate::lab::state::state_dir(None)),
    };
    eprintln!("starting a lab for the experiments…");
    let running = up::start(&opts).await?;
    let endpoints = endpoints(&running.state, dir.path(), running.lab.clone());
    let lab = running;
    let journal =
        chaoslab_experiment::run_files_journal(&args.files, &endpoints, &args.options, cancel)
            .await;
    lab.stop().await;
    Ok(Ran::Journal(journal))
}
