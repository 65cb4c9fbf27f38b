//! `chaoslab-dashcheck`: checks the dashboards, rules and compose file,
//! without a lab (`static`) or against a Prometheus scraping one (`live`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use chaoslab_dashcheck::{Layout, LiveOptions, compose, live, static_check};

#[derive(Parser)]
#[command(about = "Checks chaoslab's dashboards and Prometheus rules against what the lab emits")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks the files alone: structure, data sources, metric names, compose paths.
    Static {
        /// The dashboards/ folder.
        #[arg(long, default_value = "dashboards")]
        dir: PathBuf,
        /// The compose file (default: docker-compose.yml beside --dir).
        #[arg(long)]
        compose: Option<PathBuf>,
        /// The lab's binary: every flag compose passes it must be in its `--help`.
        #[arg(long)]
        chaoslab: Option<PathBuf>,
    },
    /// Runs every dashboard query against a Prometheus that scrapes the lab.
    Live {
        #[arg(long, default_value = "dashboards")]
        dir: PathBuf,
        /// Base URL of Prometheus, e.g. http://127.0.0.1:9090.
        #[arg(long)]
        prometheus: String,
        /// Give up waiting for data after this many seconds.
        #[arg(long, default_value_t = 120)]
        deadline_secs: u64,
        /// Look again this often while waiting, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        poll_ms: u64,
        /// A job whose target must be up first (repeatable).
        #[arg(long = "expect-job")]
        expect_jobs: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let ok = match Cli::parse().command {
        Command::Static {
            dir,
            compose: compose_file,
            chaoslab,
        } => {
            let layout = Layout::new(&dir);
            let report = static_check::check(&layout)?;
            println!("{report}");
            let compose_file = compose_file.unwrap_or(layout.compose.clone());
            let mut c = compose::check(&compose_file, Some(&layout.prometheus_docker))?;
            if let Some(bin) = chaoslab {
                c.findings
                    .extend(compose::check_flags(&compose_file, &bin)?);
            }
            println!("{c}");
            report.findings.is_empty() && c.findings.is_empty()
        }
        Command::Live {
            dir,
            prometheus,
            deadline_secs,
            poll_ms,
            expect_jobs,
        } => {
            let opts = LiveOptions {
                prometheus,
                deadline: Duration::from_secs(deadline_secs),
                poll: Duration::from_millis(poll_ms),
                expect_jobs,
            };
            let report = live::check(&dir, &opts).await?;
            println!("{report}");
            report.passed()
        }
    };
    println!("took {:.2}s", started.elapsed().as_secs_f64());
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
