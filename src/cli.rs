//! Command-line parsing and dispatch. Each subcommand hands over to the
//! library that owns it; errors print as `error: ...` with exit status 2.

use crate::lab::{self, state::state_dir};
use clap::{Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

#[derive(Parser, Debug)]
#[command(
    name = "chaoslab",
    version,
    about = "An observability and chaos-testing lab for microservices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the whole lab: services, chaos agent, hub, load; then the dashboard.
    Up {
        /// No dashboard: print where everything listens and a live health line.
        #[arg(long)]
        headless: bool,
        /// Where the state file and logs go [default: $CHAOSLAB_STATE_DIR or .chaoslab].
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// Lab config file (TOML): resilience policies and service settings.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Requests per second of the built-in load generator (0: none).
        #[arg(long, default_value_t = 5.0)]
        rate: f64,
        /// Services call each other directly, not through the agent's proxies.
        #[arg(long)]
        direct: bool,
        /// Use free ports only, never the defaults.
        #[arg(long)]
        ephemeral_ports: bool,
        /// Seed for the agent's random draws, so a run can be replayed.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Stop the running lab.
    Down {
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// Each process of the running lab: port, pid, health, restarts.
    Status {
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// Run one service of the shop (the supervisor runs these for you).
    Service {
        /// gateway, users, catalog, inventory, orders or payments.
        name: String,
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// A dependency's base URL, as NAME=URL; repeat for each.
        #[arg(long = "dep", value_parser = parse_key_value)]
        deps: Vec<(String, String)>,
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Run the telemetry hub (the supervisor runs it for you).
    Hub {
        #[arg(long, default_value = "127.0.0.1:7070")]
        api: SocketAddr,
        #[arg(long, default_value = "127.0.0.1:4317")]
        otlp_grpc: SocketAddr,
        #[arg(long, default_value = "127.0.0.1:4318")]
        otlp_http: SocketAddr,
        /// A Prometheus target to scrape, as NAME=URL; repeat for each.
        #[arg(long = "target", value_parser = parse_key_value)]
        targets: Vec<(String, String)>,
        /// The chaos agent's API, for active faults.
        #[arg(long)]
        agent: Option<String>,
        /// Most spans kept; the oldest traces are evicted first.
        #[arg(long, default_value_t = 100_000)]
        span_budget: usize,
    },
    /// Run the chaos agent on its own (Toxiproxy-compatible API).
    Agent {
        #[arg(long, default_value = "127.0.0.1:8474")]
        listen: SocketAddr,
        /// A JSON array of proxies to create at start (Toxiproxy's populate format).
        #[arg(long)]
        populate: Option<PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
        /// Bearer token required for changes (required beyond loopback).
        #[arg(long, env = "CHAOSLAB_AGENT_TOKEN")]
        token: Option<String>,
    },
    /// Measure the lab and print tables.
    Bench {
        /// startup, shop, or all.
        #[arg(default_value = "all")]
        what: String,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 5)]
        secs: u64,
    },
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Up {
            headless,
            state_dir: dir,
            config,
            rate,
            direct,
            ephemeral_ports,
            seed,
        } => {
            let opts = lab::up::UpOptions {
                headless,
                state_dir: state_dir(dir.as_deref()),
                config,
                ephemeral_ports,
                direct,
                load_rate: rate,
                seed,
            };
            lab::run::run(opts).await?;
        }
        Command::Down { state_dir: dir } => {
            let state = lab::state::LabState::load(&state_dir(dir.as_deref()))?;
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(state.supervisor_pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            )?;
            println!("stopping the lab (supervisor pid {})", state.supervisor_pid);
        }
        Command::Status { state_dir: dir } => {
            print!("{}", lab::status::status(&state_dir(dir.as_deref())).await?)
        }
        Command::Service {
            name,
            listen,
            deps,
            config,
        } => {
            chaoslab_shop::run(chaoslab_shop::ServiceArgs {
                name,
                listen,
                deps: deps.into_iter().collect(),
                config,
            })
            .await?;
        }
        Command::Hub {
            api,
            otlp_grpc,
            otlp_http,
            targets,
            agent,
            span_budget,
        } => {
            crate::cmd::hub::run(crate::cmd::hub::HubArgs {
                api,
                otlp_grpc,
                otlp_http,
                targets,
                agent,
                span_budget,
            })
            .await?;
        }
        Command::Agent {
            listen,
            populate,
            seed,
            token,
        } => {
            crate::cmd::agent::run(crate::cmd::agent::AgentArgs {
                listen,
                populate,
                seed,
                token,
            })
            .await?;
        }
        Command::Bench { what, secs } => crate::bench::run(&what, secs).await?,
    }
    Ok(ExitCode::SUCCESS)
}
