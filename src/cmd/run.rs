//! `chaoslab run FILE...`: experiments against a lab of their own (started
//! on free ports and stopped after: one command in CI) or, with `--attach`,
//! against the running lab.

use crate::lab::{state::LabState, up};
use chaoslab_experiment::{LabEndpoints, RunOptions, Verdict};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct RunArgs {
    pub files: Vec<PathBuf>,
    pub attach: bool,
    pub state_dir: PathBuf,
    pub config: Option<PathBuf>,
    pub options: RunOptions,
    /// Only check the files.
    pub check: bool,
}

/// The endpoints of a lab, from its state.
pub fn endpoints(state: &LabState, state_dir: &Path) -> LabEndpoints {
    LabEndpoints {
        gateway: state.gateway_url.clone(),
        agent: state.agent_url.clone(),
        hub: state.hub_url.clone(),
        loadgen: state.loadgen_url.clone(),
        services: state.service_urls().into_iter().collect(),
        state_dir: state_dir.to_path_buf(),
    }
}

/// Runs the experiments; the verdict is the exit code.
pub async fn run(args: RunArgs) -> anyhow::Result<Verdict> {
    // Every file is checked before any lab starts.
    let mut bad = Vec::new();
    for f in &args.files {
        if let Err(e) = chaoslab_experiment::validate_file(f) {
            bad.push(e.to_string());
        }
    }
    if !bad.is_empty() {
        for b in &bad {
            eprintln!("error: {b}");
        }
        return Ok(Verdict::Error);
    }
    if args.check {
        println!("{} file(s) valid", args.files.len());
        return Ok(Verdict::Held);
    }
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("interrupted: running rollbacks…");
    };
    if args.attach {
        let state = LabState::load(&args.state_dir)?;
        let lab = endpoints(&state, &args.state_dir);
        return Ok(chaoslab_experiment::run_files(&args.files, &lab, &args.options, cancel).await);
    }
    let dir = tempfile::tempdir()?;
    let opts = up::UpOptions {
        headless: true,
        state_dir: dir.path().to_path_buf(),
        config: args.config.clone(),
        ephemeral_ports: true,
        direct: false,
        load_rate: 1.0,
        seed: None,
    };
    eprintln!("starting a lab for the experiments…");
    let lab = up::start(&opts).await?;
    let endpoints = endpoints(&lab.state, dir.path());
    let verdict =
        chaoslab_experiment::run_files(&args.files, &endpoints, &args.options, cancel).await;
    lab.stop().await;
    Ok(verdict)
}
