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

/// The hub's store limits (`hub`, `watch`).
#[derive(clap::Args, Debug, Clone, Copy)]
struct StoreLimits {
    /// Most spans kept; the oldest traces are evicted first.
    #[arg(long, default_value_t = 100_000)]
    span_budget: usize,
    /// Most bytes the trace store holds (e.g. 256MB); oldest traces go first.
    #[arg(long, default_value = "256MB", value_parser = parse_size)]
    trace_bytes: usize,
    /// Most bytes the log store holds (e.g. 64MB); oldest records go first.
    #[arg(long, default_value = "64MB", value_parser = parse_size)]
    log_bytes: usize,
    /// Longest string value kept in a span or log record; longer ones are cut.
    #[arg(long, default_value = "4KB", value_parser = parse_size)]
    attr_value_max: usize,
}

impl From<StoreLimits> for crate::cmd::hub::Limits {
    fn from(l: StoreLimits) -> Self {
        Self {
            span_budget: l.span_budget,
            trace_bytes: l.trace_bytes,
            log_bytes: l.log_bytes,
            attr_value_max: l.attr_value_max,
        }
    }
}

fn parse_size(s: &str) -> Result<usize, String> {
    chaoslab_hub::config::parse_bytes(s)
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the whole lab: services, chaos agent, hub, load; then the dashboard.
    Up {
        /// The lab file (TOML) [default: labs/shop.toml, the shop].
        #[arg(long)]
        lab: Option<PathBuf>,
        /// No dashboard: print where everything listens and a live health line.
        #[arg(long)]
        headless: bool,
        /// Where the state file and logs go [default: $CHAOSLAB_STATE_DIR or .chaoslab].
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// Resilience overlay (TOML: [defaults], per-service settings and
        /// dependencies) on top of the lab file's.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Journeys per second of the load (0: none) [default: the lab file's load.rate].
        #[arg(long)]
        rate: Option<f64>,
        /// Services call each other directly, not through the agent's proxies.
        #[arg(long)]
        direct: bool,
        /// Use free ports only, never the defaults.
        #[arg(long)]
        ephemeral_ports: bool,
        /// Seed for the agent's random draws, so a run can be replayed.
        #[arg(long)]
        seed: Option<u64>,
        /// Where set-up steps make environments [default: $CHAOSLAB_ENVS or STATE_DIR/envs].
        #[arg(long)]
        envs: Option<PathBuf>,
    },
    /// Make the environments of the lab's services that have a set-up step
    /// (`prepare` in the lab file: a venv, `npm ci`), unless they are current.
    Prepare {
        /// The lab file (TOML) [default: labs/shop.toml, the shop].
        #[arg(long)]
        lab: Option<PathBuf>,
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// Where environments go [default: $CHAOSLAB_ENVS or STATE_DIR/envs].
        #[arg(long)]
        envs: Option<PathBuf>,
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
    /// Run one built-in service (the supervisor runs these for you).
    Service {
        /// The service's name in the lab file.
        name: String,
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// A dependency's base URL, as NAME=URL; repeat for each.
        #[arg(long = "dep", value_parser = parse_key_value)]
        deps: Vec<(String, String)>,
        /// The lab file naming the service [default: labs/shop.toml].
        #[arg(long)]
        lab: Option<PathBuf>,
        /// Resilience overlay on the lab file's.
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
        #[command(flatten)]
        limits: StoreLimits,
    },
    /// Watch any system: the hub and the dashboard alone, no lab. Point any
    /// OpenTelemetry SDK at the standard OTLP ports (4317 gRPC, 4318 HTTP).
    Watch {
        /// No dashboard: the hub alone, printing where it listens.
        #[arg(long)]
        headless: bool,
        /// Address to listen on (0.0.0.0 for senders on other hosts).
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// A Prometheus target to scrape, as NAME=URL; repeat for each.
        #[arg(long = "scrape", value_parser = parse_key_value)]
        scrape: Vec<(String, String)>,
        /// Free ports only, never 4317, 4318 and 7070.
        #[arg(long)]
        ephemeral_ports: bool,
        #[command(flatten)]
        limits: StoreLimits,
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
        /// Process faults through the Kubernetes API on the Deployments of
        /// the services (in-cluster config, else the kubeconfig).
        #[arg(long)]
        kubernetes: bool,
        /// The namespace of those Deployments [default: the client's].
        #[arg(long, env = "POD_NAMESPACE")]
        namespace: Option<String>,
        /// A service faults may target, as NAME=ADMIN_URL; repeat for each.
        #[arg(long = "service", value_parser = parse_key_value, requires = "kubernetes")]
        services: Vec<(String, String)>,
    },
    /// Print a lab's deployment manifests, generated from its lab file.
    Deploy {
        #[command(subcommand)]
        target: DeployTarget,
    },
    /// Run the load generator: a lab file's journeys against its entry service (open model, constant rate).
    Load {
        /// The lab file whose `[load]` journeys are played (default: the shop's).
        #[arg(long)]
        lab: Option<PathBuf>,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        target: String,
        /// Arrivals per second (default: the lab file's `load.rate`, else 10).
        #[arg(long)]
        rate: Option<f64>,
        /// Where its metrics and control API listen.
        #[arg(long, default_value = "127.0.0.1:9464")]
        listen: SocketAddr,
        /// Poisson arrivals instead of evenly spaced ones.
        #[arg(long)]
        poisson: bool,
        #[arg(long)]
        seed: Option<u64>,
        /// Stop after this long (e.g. 30s); runs until Ctrl-C otherwise.
        #[arg(long, value_parser = humantime::parse_duration)]
        duration: Option<std::time::Duration>,
    },
    /// Resume a paused child on its own clock (the supervisor starts one per pause).
    #[command(hide = true)]
    PauseGuard {
        #[arg(long)]
        pid: u32,
        /// The child's start time from /proc/PID/stat.
        #[arg(long)]
        start: u64,
        #[arg(long)]
        for_ms: Option<u64>,
        /// The supervisor's pid.
        #[arg(long)]
        parent: u32,
    },
    /// The terminal dashboard of the running lab.
    Tui {
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// The hub's API, instead of the running lab's.
        #[arg(long)]
        hub: Option<String>,
        /// Print one frame as text and exit.
        #[arg(long)]
        snapshot: bool,
        /// overview, service, traces, chaos or experiment.
        #[arg(long, default_value = "overview")]
        screen: String,
        /// WIDTHxHEIGHT of the snapshot.
        #[arg(long, default_value = "120x40")]
        size: String,
    },
    /// Inject and remove faults (toxiproxy-cli's commands, plus the lab's).
    Fault {
        /// The agent's API [default: $TOXIPROXY_URL, else the running lab's].
        #[arg(long, short = 'H', env = "TOXIPROXY_URL")]
        host: Option<String>,
        #[arg(long)]
        state_dir: Option<PathBuf>,
        #[command(subcommand)]
        cmd: crate::cmd::fault::FaultCmd,
    },
    /// Run chaos experiments: exit 0 when every hypothesis held, 1 when one
    /// did not, 2 when an experiment could not run.
    Run {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The lab file: the lab this run starts (on free ports), or the one
        /// `--check` checks against [default: labs/shop.toml; with --attach,
        /// the running lab's].
        #[arg(long)]
        lab: Option<PathBuf>,
        /// Run against the running lab instead of starting one.
        #[arg(long)]
        attach: bool,
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// Resilience overlay for the lab this run starts.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Only check the files against the lab.
        #[arg(long)]
        check: bool,
        #[arg(long)]
        journal: Option<PathBuf>,
        #[arg(long)]
        junit: Option<PathBuf>,
        #[arg(long)]
        report: Option<PathBuf>,
        /// Multiply every wait and fault duration (e.g. 0.3 for short CI runs).
        #[arg(long, default_value_t = 1.0)]
        time_scale: f64,
    },
    /// Run a lesson's pair (fragile, then resilient) and show the two side
    /// by side: exit 0 when the fragile run failed and the resilient one
    /// held (the lesson shows), 1 when not, 2 when a run could not happen.
    Lesson {
        /// The lesson's number (see --list).
        #[arg(required_unless_present = "list")]
        number: Option<u32>,
        /// List the lessons.
        #[arg(long)]
        list: bool,
        /// The folder of the experiments and their catalogue (lessons.toml).
        #[arg(long, default_value = "experiments")]
        dir: PathBuf,
        /// Run against the running lab instead of starting one.
        #[arg(long)]
        attach: bool,
        #[arg(long)]
        state_dir: Option<PathBuf>,
        #[arg(long)]
        journal: Option<PathBuf>,
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Write the comparison as Markdown.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Multiply every wait and fault duration (0.5 to 1 for the lessons).
        #[arg(long, default_value_t = 1.0)]
        time_scale: f64,
    },
    /// Measure the lab and print tables.
    Bench {
        /// all, startup, shop, polyglot, proxy, hub, tui, load or resilience.
        #[arg(default_value = "all")]
        what: String,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 5)]
        secs: u64,
    },
    /// Print the experiment JSON Schema (its fault kinds and toxic parameters
    /// come from the registries): `chaoslab schema > experiments/experiment.schema.json`.
    Schema,
}

#[derive(Subcommand, Debug)]
enum DeployTarget {
    /// Kubernetes: one YAML stream on stdout, or a kustomize base with -o.
    Kubernetes {
        /// The lab file.
        #[arg(long, default_value = "labs/shop.toml")]
        lab: PathBuf,
        /// Write one file per object and a kustomization.yaml into DIR.
        #[arg(long, short)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "chaoslab")]
        namespace: String,
        /// The image with the chaoslab binary.
        #[arg(long, default_value = "chaoslab:local")]
        image: String,
        /// The image of a command service, as NAME=IMAGE; repeat for each.
        #[arg(long = "service-image", value_parser = parse_key_value)]
        service_images: Vec<(String, String)>,
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
    quiet_on_closed_pipe();
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
    let code = match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    };
    // Tasks still running (a connection being dropped, a blocking flush) do
    // not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// std's print macros panic when the reader of stdout (or stderr) has gone
/// (`chaoslab fault list | head -1`). Such a reader wants no more output:
/// exit quietly instead. SIGPIPE is left ignored (Rust's default), since
/// resetting it needs `unsafe` and would kill servers on a closed socket.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info)
    }));
}

async fn dispatch(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Up {
            lab: lab_file,
            headless,
            state_dir: dir,
            config,
            rate,
            direct,
            ephemeral_ports,
            seed,
            envs,
        } => {
            let state = state_dir(dir.as_deref());
            let opts = lab::up::UpOptions {
                headless,
                envs: lab::prepare::envs_dir(envs.as_deref(), &state),
                state_dir: state,
                lab: lab_file,
                config,
                ephemeral_ports,
                direct,
                load_rate: rate,
                seed,
            };
            lab::run::run(opts).await?;
        }
        Command::Prepare {
            lab: lab_file,
            state_dir: dir,
            envs,
        } => {
            let state = state_dir(dir.as_deref());
            let (model, _) = lab::up::read_lab(lab_file.as_deref(), None, &state)?;
            let envs = lab::prepare::envs_dir(envs.as_deref(), &state);
            let done = lab::prepare::prepare_lab(&model, &envs);
            for (name, env) in &done.ready {
                println!("{name}: ready at {}", env.display());
            }
            for (name, why) in &done.left_out {
                eprintln!("{name}: cannot be prepared: {why}");
            }
            if !done.left_out.is_empty() {
                return Ok(ExitCode::from(1));
            }
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
            lab: lab_file,
            config,
        } => {
            // No --lab: the shop's file, or its built-in copy (containers).
            let lab_file = match lab_file {
                Some(f) => f,
                None => lab::up::read_lab(None, None, &state_dir(None))?.1,
            };
            chaoslab_shop::run(chaoslab_shop::ServiceArgs {
                name,
                listen,
                deps: deps.into_iter().collect(),
                lab: Some(lab_file),
                config,
                builtin: None,
            })
            .await?;
        }
        Command::Hub {
            api,
            otlp_grpc,
            otlp_http,
            targets,
            agent,
            limits,
        } => {
            crate::cmd::hub::run(crate::cmd::hub::HubArgs {
                api,
                otlp_grpc,
                otlp_http,
                targets,
                agent,
                limits: limits.into(),
            })
            .await?;
        }
        Command::Watch {
            headless,
            bind,
            scrape,
            ephemeral_ports,
            limits,
        } => {
            crate::cmd::watch::run(crate::cmd::watch::WatchArgs {
                headless,
                bind,
                scrape,
                ephemeral_ports,
                limits: limits.into(),
            })
            .await?;
        }
        Command::Agent {
            listen,
            populate,
            seed,
            token,
            kubernetes,
            namespace,
            services,
        } => {
            crate::cmd::agent::run(crate::cmd::agent::AgentArgs {
                listen,
                populate,
                seed,
                token,
                kubernetes: kubernetes.then(|| crate::cmd::agent::Kubernetes {
                    namespace,
                    services: services.into_iter().collect(),
                }),
            })
            .await?;
        }
        Command::Deploy {
            target:
                DeployTarget::Kubernetes {
                    lab,
                    out,
                    namespace,
                    image,
                    service_images,
                },
        } => crate::cmd::deploy::kubernetes(crate::cmd::deploy::DeployArgs {
            lab,
            out,
            options: chaoslab_deploy::kubernetes::Options {
                namespace,
                image,
                service_images: service_images.into_iter().collect(),
            },
        })?,
        Command::Load {
            lab: lab_file,
            target,
            rate,
            listen,
            poisson,
            seed,
            duration,
        } => {
            let lab_file = match lab_file {
                Some(f) => f,
                None => lab::up::read_lab(None, None, &state_dir(None))?.1,
            };
            let args = chaoslab_load::LoadArgs {
                lab: lab_file,
                target,
                rate,
                listen,
                poisson,
                seed,
                duration,
            };
            chaoslab_load::run_cli(args, crate::cmd::shutdown()).await?;
        }
        Command::PauseGuard {
            pid,
            start,
            for_ms,
            parent,
        } => {
            lab::pause_guard::run(lab::pause_guard::GuardArgs {
                pid,
                start,
                for_ms,
                parent,
            })
            .await;
        }
        Command::Tui {
            state_dir: dir,
            hub,
            snapshot,
            screen,
            size,
        } => {
            let cfg = crate::cmd::tui_config(&state_dir(dir.as_deref()), hub)?;
            if snapshot {
                let (w, h) = size
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| {
                        anyhow::anyhow!("--size {size:?}: expected WIDTHxHEIGHT, e.g. 120x40")
                    })?;
                print!("{}", chaoslab_tui::snapshot(cfg, &screen, w, h).await?);
            } else {
                chaoslab_tui::run(cfg).await?;
            }
        }
        Command::Fault {
            host,
            state_dir: dir,
            cmd,
        } => {
            let url = match host {
                Some(h) => h,
                None => lab::state::LabState::load(&state_dir(dir.as_deref()))?
                    .agent_url
                    .ok_or_else(|| {
                        anyhow::anyhow!("the running lab has no agent (started with --direct)")
                    })?,
            };
            crate::cmd::fault::run(&url, cmd).await?;
        }
        Command::Run {
            files,
            lab: lab_file,
            attach,
            state_dir: dir,
            config,
            check,
            journal,
            junit,
            report,
            time_scale,
        } => {
            if !(time_scale > 0.0 && time_scale.is_finite()) {
                anyhow::bail!("--time-scale must be a positive number, got {time_scale}");
            }
            let options = chaoslab_experiment::RunOptions {
                journal,
                junit,
                report,
                time_scale,
            };
            let args = crate::cmd::run::RunArgs {
                files,
                attach,
                state_dir: state_dir(dir.as_deref()),
                lab: lab_file,
                config,
                options,
                check,
            };
            let verdict = crate::cmd::run::run(args).await?;
            return Ok(ExitCode::from(verdict as u8));
        }
        Command::Lesson {
            number,
            list,
            dir,
            attach,
            state_dir: sdir,
            journal,
            junit,
            report,
            time_scale,
        } => {
            if !(time_scale > 0.0 && time_scale.is_finite()) {
                anyhow::bail!("--time-scale must be a positive number, got {time_scale}");
            }
            let run = crate::cmd::run::RunArgs {
                files: Vec::new(),
                attach,
                state_dir: state_dir(sdir.as_deref()),
                lab: None,
                config: None,
                options: chaoslab_experiment::RunOptions {
                    journal,
                    junit,
                    report,
                    time_scale,
                },
                check: false,
            };
            let args = crate::cmd::lesson::LessonArgs {
                number,
                list,
                dir,
                run,
            };
            let verdict = crate::cmd::lesson::run(args).await?;
            return Ok(ExitCode::from(verdict as u8));
        }
        Command::Bench { what, secs } => crate::bench::run(&what, secs).await?,
        Command::Schema => print!("{}", chaoslab_experiment::schema::json_schema_text()),
    }
    Ok(ExitCode::SUCCESS)
}
