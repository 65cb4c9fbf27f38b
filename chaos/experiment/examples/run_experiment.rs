//! Runs experiment files against a lab described by a lab file and a JSON
//! file of [`LabEndpoints`], with Ctrl-C as the cancel signal; exits with the
//! verdict (0 held, 1 failed, 2 could not run). The SIGINT test drives it
//! as a child process.
//!
//! `cargo run -p chaoslab-experiment --example run_experiment -- LAB.toml ENDPOINTS.json JOURNAL.json FILE...`

use std::path::PathBuf;

use chaoslab_experiment::{LabEndpoints, RunOptions, run_files};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: run_experiment LAB.toml ENDPOINTS.json JOURNAL.json FILE...");
        std::process::exit(2);
    }
    let model = match chaoslab_contract::Lab::load(std::path::Path::new(&args[0])) {
        Ok(m) => std::sync::Arc::new(m),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let args = &args[1..];
    let text = std::fs::read_to_string(&args[0]).unwrap_or_default();
    let mut lab: LabEndpoints = match serde_json::from_str(&text) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {}: {e}", args[0]);
            std::process::exit(2);
        }
    };
    lab.model = Some(model);
    let opts = RunOptions {
        journal: Some(PathBuf::from(&args[1])),
        ..RunOptions::default()
    };
    let files: Vec<PathBuf> = args[2..].iter().map(PathBuf::from).collect();
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let verdict = run_files(&files, &lab, &opts, cancel).await;
    std::process::exit(verdict.exit_code());
}
