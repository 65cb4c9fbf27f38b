//! `chaoslab up`: a whole lab from one lab file.
//!
//! Order: read the lab file (and any `--config` overlay) and check every
//! command's program, pick ports, start the chaos agent (in this process)
//! with one proxy per depended-on service, start the hub and every service
//! the lab runs (in parallel; each one's dependency URLs point at the
//! agent's proxies), wait until each is ready within its deadline, write the
//! state file, start the load generator on the lab's journeys, then show the
//! dashboard (or, `--headless`, a live health line) until Ctrl-C or SIGTERM;
//! then stop everything. If any step fails, everything started so far is
//! stopped before the error is returned.

use super::{
    agent_host, children, ports,
    ports::PortPicker,
    prepare,
    state::{LabState, ProcessState},
    supervisor::{ChildSpec, Ready, Supervisor},
};
use anyhow::Context;
use chaoslab_contract::{Lab, Run};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

/// The shop's lab file, built in: `chaoslab up` without `--lab` uses it.
pub const SHOP_LAB: &str = include_str!("../../labs/shop.toml");
/// Where the shop's lab file is in the repository.
pub const SHOP_LAB_PATH: &str = "labs/shop.toml";

/// Options of `chaoslab up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub headless: bool,
    pub state_dir: PathBuf,
    /// The lab file; `None`: the shop's.
    pub lab: Option<PathBuf>,
    /// A resilience overlay on the lab file's.
    pub config: Option<PathBuf>,
    /// Every port a free one, never the lab file's (tests, `chaoslab run`).
    pub ephemeral_ports: bool,
    /// Services call each other directly, without the agent's proxies.
    pub direct: bool,
    /// Where the set-up steps' environments are (see `prepare::envs_dir`).
    pub envs: PathBuf,
    /// Journeys per second of the load; `None`: the lab file's `load.rate`.
    pub load_rate: Option<f64>,
    pub seed: Option<u64>,
}

/// Reads the lab `opts` name (the shop's when none) with its overlay; the
/// path returned is the file the built-in services are given.
pub fn read_lab(
    lab: Option<&Path>,
    config: Option<&Path>,
    state_dir: &Path,
) -> anyhow::Result<(Lab, PathBuf)> {
    let (mut model, file) = match lab {
        Some(path) => {
            let file = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            (Lab::load(path)?, file)
        }
        None if Path::new(SHOP_LAB_PATH).exists() => {
            let file = std::fs::canonicalize(SHOP_LAB_PATH)?;
            (Lab::load(Path::new(SHOP_LAB_PATH))?, file)
        }
        None => {
            // Outside the repository: the copy built into this binary.
            std::fs::create_dir_all(state_dir)?;
            let file = state_dir.join("shop.toml");
            std::fs::write(&file, SHOP_LAB)?;
            (Lab::load(&file)?, file)
        }
    };
    if let Some(cfg) = config {
        model.overlay(cfg)?;
    }
    Ok((model, file))
}

/// A started lab: its state, and the handles that stop it.
pub struct RunningLab {
    pub state: LabState,
    pub lab: Arc<Lab>,
    pub supervisor: Arc<Supervisor>,
    agent: Option<agent_host::AgentHost>,
    telemetry: chaoslab_kit::telemetry::Telemetry,
    state_dir: PathBuf,
    /// Keeps every port of the lab reserved until the lab is dropped.
    _ports: PortPicker,
}

/// How long children get to stop after SIGTERM before SIGKILL: their own
/// drain and flush caps, with a little room.
const STOP_GRACE: Duration = Duration::from_millis(900);

impl RunningLab {
    /// Rewrites the state file from the supervisor's view (pids, restarts).
    pub fn refresh(&mut self) {
        let before = self.state.clone();
        for v in self.supervisor.views() {
            if let Some(p) = self.state.processes.get_mut(&v.spec.name) {
                p.pid = v.pid;
                p.restarts = v.restarts;
                p.state = v.state.to_string();
            }
        }
        if self.state != before || !LabState::path(&self.state_dir).exists() {
            let _ = self.state.save(&self.state_dir);
        }
    }

    /// Stops every child and the agent, and removes the state file.
    pub async fn stop(self) {
        stop_parts(&self.supervisor, self.agent, self.telemetry).await;
        let _ = std::fs::remove_file(LabState::path(&self.state_dir));
    }
}

async fn stop_parts(
    supervisor: &Supervisor,
    agent: Option<agent_host::AgentHost>,
    telemetry: chaoslab_kit::telemetry::Telemetry,
) {
    // Children drain for the kit's cap; any still there are killed.
    supervisor.stop_all(STOP_GRACE).await;
    if let Some(a) = agent {
        a.stop().await;
    }
    let _ = tokio::time::timeout(chaoslab_kit::serve::FLUSH_CAP, telemetry.shutdown()).await;
}

/// Starts the lab and returns once every process is ready; on an error,
/// nothing it started is left running.
pub async fn start(opts: &UpOptions) -> anyhow::Result<RunningLab> {
    if let Ok(existing) = LabState::load(&opts.state_dir) {
        anyhow::bail!(
            "a lab is already running from {} (supervisor pid {}); stop it with `chaoslab down` or use another --state-dir",
            opts.state_dir.display(),
            existing.supervisor_pid
        );
    }
    // Refuse a bad lab file, a bad overlay or a missing program before anything starts.
    let (lab, lab_file) = read_lab(opts.lab.as_deref(), opts.config.as_deref(), &opts.state_dir)?;
    // Set-up steps first: a service whose environment cannot be made here
    // (no python3, no node) is left out, and its callers see it down.
    let mut prepared = prepare::prepare_lab(&lab, &opts.envs);
    // A broker that is not installed is left out the same way: the
    // synchronous lab runs, and the outbox keeps the events.
    for svc in lab.services.values() {
        if let Some(b) = svc.broker()
            && b.installed().is_none()
        {
            prepared.left_out.insert(
                svc.name.clone(),
                format!(
                    "{} is not installed (install it: {})",
                    b.program(),
                    b.install_hint()
                ),
            );
        }
    }
    for (name, why) in &prepared.left_out {
        eprintln!("{name}: left out of this lab: {why}; the rest runs without it");
    }
    for svc in lab.services.values() {
        if prepared.left_out.contains_key(&svc.name) {
            continue;
        }
        svc.check_program(prepared.ready.get(&svc.name).map(PathBuf::as_path))?;
    }
    std::fs::create_dir_all(&opts.state_dir)
        .with_context(|| format!("cannot create {}", opts.state_dir.display()))?;
    let exe = std::env::current_exe().context("cannot find the chaoslab executable")?;
    let logs = opts.state_dir.join("logs");
    let mut picker = PortPicker::new(opts.ephemeral_ports);

    let mut service_ports: BTreeMap<String, u16> = BTreeMap::new();
    for svc in lab.services.values() {
        let port = match &svc.run {
            Run::Url { port, .. } => *port,
            _ => picker.pick(svc.port.unwrap_or(0))?,
        };
        service_ports.insert(svc.name.clone(), port);
    }
    let hub = [
        picker.pick(ports::HUB_API)?,
        picker.pick(ports::HUB_OTLP_GRPC)?,
        picker.pick(ports::HUB_OTLP_HTTP)?,
    ];
    let loadgen_port = picker.pick(ports::LOADGEN_METRICS)?;
    let agent_port = picker.pick(ports::AGENT)?;

    let supervisor = Supervisor::new(exe);
    // This process hosts the agent: its spans (the proxies' spans, with the
    // faults they inject) go to the hub like every service's; its logs go to
    // a file, since the terminal belongs to the dashboard.
    let telemetry = {
        use chaoslab_kit::telemetry::{self, Protocol, TelemetryOptions};
        let mut t = TelemetryOptions::from_env("agent");
        t.endpoint = Some(match Protocol::from_env() {
            Ok(Protocol::HttpProtobuf) => ports::url(hub[2]),
            _ => ports::url(hub[1]),
        });
        t.log_file = Some(logs.join("agent.log"));
        telemetry::init(&t)?
    };
    let mut agent = None;
    let started = wire(
        telemetry.metrics(),
        &lab,
        &lab_file,
        opts,
        &service_ports,
        hub,
        loadgen_port,
        agent_port,
        &mut picker,
        &supervisor,
        &mut agent,
        &logs,
        &prepared,
    )
    .await;
    let state = match started {
        Ok(state) => state,
        Err(e) => {
            stop_parts(&supervisor, agent, telemetry).await;
            return Err(e);
        }
    };
    let mut running = RunningLab {
        state,
        lab: Arc::new(lab),
        supervisor,
        agent,
        telemetry,
        state_dir: opts.state_dir.clone(),
        _ports: picker,
    };
    running.refresh();
    Ok(running)
}

/// Everything after the ports: agent and proxies, children, readiness, load.
#[allow(clippy::too_many_arguments)]
async fn wire(
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    lab: &Lab,
    lab_file: &Path,
    opts: &UpOptions,
    service_ports: &BTreeMap<String, u16>,
    hub: [u16; 3],
    loadgen_port: u16,
    agent_port: u16,
    picker: &mut PortPicker,
    supervisor: &Arc<Supervisor>,
    agent_slot: &mut Option<agent_host::AgentHost>,
    logs: &Path,
    prepared: &prepare::Prepared,
) -> anyhow::Result<LabState> {
    let base_url = |name: &str| match &lab.services[name].run {
        Run::Url { url, .. } => url.clone(),
        _ => ports::url(service_ports[name]),
    };
    // The agent, in this process, with a proxy in front of every callee.
    let mut proxy_urls: BTreeMap<String, String> = BTreeMap::new();
    if !opts.direct {
        let host = agent_host::start(
            agent_port,
            supervisor.clone(),
            lab.services
                .keys()
                .map(|n| (n.clone(), base_url(n)))
                .collect(),
            lab.supervised().iter().map(|s| s.to_string()).collect(),
            opts.seed,
            metrics,
        )
        .await?;
        let host = agent_slot.insert(host);
        for callee in lab.proxies() {
            let svc = &lab.services[callee];
            let upstream = match &svc.run {
                Run::Url { host, port, .. } => format!("{host}:{port}"),
                _ => format!("127.0.0.1:{}", service_ports[callee]),
            };
            let listen = picker.pick(svc.proxy_port.unwrap_or(0))?;
            let mode = lab.proxy_mode(callee).unwrap_or_default();
            let url = host.add_proxy(callee, listen, upstream, mode).await?;
            proxy_urls.insert(callee.to_string(), url);
        }
    }
    let agent = agent_slot.as_ref();

    let hub_url = ports::url(hub[0]);
    let otlp_grpc = ports::url(hub[1]);
    let mut env = vec![];
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none() {
        env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".to_string(), otlp_grpc.clone()));
        env.push((
            "OTEL_EXPORTER_OTLP_PROTOCOL".to_string(),
            "grpc".to_string(),
        ));
    }
    let wiring = children::Wiring {
        lab_file,
        state_dir: &opts.state_dir,
        config: opts.config.as_deref(),
        env: &env,
        envs: &prepared.ready,
        logs,
    };
    let mut processes = BTreeMap::new();
    let mut targets = Vec::new();
    for svc in lab.start_order() {
        let port = service_ports[&svc.name];
        let deps: BTreeMap<String, String> = svc
            .depends_on
            .iter()
            .map(|d| {
                let url = proxy_urls
                    .get(&d.name)
                    .cloned()
                    .unwrap_or_else(|| base_url(&d.name));
                // A broker's callers get its own scheme (nats://PROXY).
                let url = match lab.services[&d.name].broker() {
                    Some(b) => b.url(chaoslab_contract::host_port(&url)),
                    None => url,
                };
                (d.name.clone(), url)
            })
            .collect();
        if prepared.left_out.contains_key(&svc.name) {
            processes.insert(
                svc.name.clone(),
                ProcessState {
                    name: svc.name.clone(),
                    role: if svc.broker().is_some() {
                        "broker"
                    } else {
                        "service"
                    }
                    .into(),
                    url: base_url(&svc.name),
                    port,
                    pid: None,
                    restarts: 0,
                    state: "left out".into(),
                    proxy_url: proxy_urls.get(&svc.name).cloned(),
                    ready_url: None,
                    log: PathBuf::new(),
                },
            );
            continue;
        }
        if let Some(path) = &svc.metrics {
            targets.push(format!("{}={}{path}", svc.name, base_url(&svc.name)));
        }
        let proxy_url = proxy_urls.get(&svc.name).cloned();
        if svc.broker().is_some() {
            // Each lab starts with an empty broker: no messages of a lab before.
            let data = children::broker_data_dir(&opts.state_dir, &svc.name);
            let _ = std::fs::remove_dir_all(&data);
            std::fs::create_dir_all(&data)
                .with_context(|| format!("cannot create {}", data.display()))?;
        }
        match children::spec(svc, port, &deps, &wiring) {
            Some(spec) => {
                processes.insert(svc.name.clone(), process_state(&spec, proxy_url));
                supervisor.start(spec);
            }
            None => {
                processes.insert(
                    svc.name.clone(),
                    ProcessState {
                        name: svc.name.clone(),
                        role: "service".into(),
                        url: base_url(&svc.name),
                        port,
                        pid: None,
                        restarts: 0,
                        state: "external".into(),
                        proxy_url,
                        ready_url: svc
                            .health
                            .as_ref()
                            .map(|h| format!("{}{h}", base_url(&svc.name))),
                        log: PathBuf::new(),
                    },
                );
            }
        }
    }
    let load_rate = opts.load_rate.or(lab.load.rate).unwrap_or(0.0);
    let with_load = load_rate > 0.0 && !lab.load.journeys.is_empty();
    if let Some(a) = agent {
        targets.push(format!("agent={}", a.url()));
    }
    if with_load {
        targets.push(format!("loadgen={}", ports::url(loadgen_port)));
    }
    let mut hub_args = vec![
        "hub".to_string(),
        "--api".into(),
        format!("127.0.0.1:{}", hub[0]),
        "--otlp-grpc".into(),
        format!("127.0.0.1:{}", hub[1]),
        "--otlp-http".into(),
        format!("127.0.0.1:{}", hub[2]),
    ];
    for t in &targets {
        hub_args.extend(["--target".into(), t.clone()]);
    }
    if let Some(a) = agent {
        hub_args.extend(["--agent".into(), a.url()]);
    }
    // The lab file's [hub] budgets and value cap (none: the hub's defaults).
    hub_args.extend(lab.hub.hub_args());
    // The hub must not trace itself into itself.
    let hub_env = vec![("OTEL_SDK_DISABLED".to_string(), "true".to_string())];
    let hub_spec = ChildSpec {
        ready: Ready::Http(format!("{hub_url}/api/health")),
        ..child("hub", "hub", hub[0], hub_args, &hub_env, logs)
    };
    processes.insert("hub".into(), process_state(&hub_spec, None));
    supervisor.start(hub_spec);

    wait_external(lab, &base_url).await?;
    supervisor
        .wait_ready()
        .await
        .map_err(|e| anyhow::anyhow!(e))?;

    let entry_url = proxy_urls
        .get(&lab.entry)
        .cloned()
        .unwrap_or_else(|| base_url(&lab.entry));
    let loadgen_url = ports::url(loadgen_port);
    if with_load {
        let mut args = vec![
            "load".to_string(),
            "--lab".into(),
            lab_file.display().to_string(),
            "--target".into(),
            entry_url.clone(),
            "--rate".into(),
            load_rate.to_string(),
            "--listen".into(),
            format!("127.0.0.1:{loadgen_port}"),
        ];
        if let Some(seed) = opts.seed {
            args.extend(["--seed".into(), seed.to_string()]);
        }
        let spec = child("loadgen", "loadgen", loadgen_port, args, &env, logs);
        processes.insert("loadgen".into(), process_state(&spec, None));
        supervisor.start(spec);
        supervisor
            .wait_ready()
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
    }

    Ok(LabState {
        supervisor_pid: std::process::id(),
        started_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
        entry_url,
        entry: Some(lab.entry.clone()),
        lab: Some(lab_file.to_path_buf()),
        config: opts.config.clone(),
        agent_url: agent.map(|a| a.url()),
        hub_url: Some(hub_url),
        otlp_grpc: Some(otlp_grpc),
        otlp_http: Some(ports::url(hub[2])),
        loadgen_url: with_load.then_some(loadgen_url),
        processes,
    })
}

/// A `url` service with a `health` path must answer it within its deadline.
async fn wait_external(lab: &Lab, base_url: &dyn Fn(&str) -> String) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(500))
        .build()?;
    for svc in lab.services.values() {
        let (Run::Url { .. }, Some(path)) = (&svc.run, &svc.health) else {
            continue;
        };
        let url = format!("{}{path}", base_url(&svc.name));
        let deadline = tokio::time::Instant::now() + svc.ready_timeout;
        loop {
            if matches!(http.get(&url).send().await, Ok(r) if r.status().is_success()) {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!(
                    "service {} did not become ready within {:?} (GET {url} answered no 2xx; it is a `url` service: the lab does not start it)",
                    svc.name,
                    svc.ready_timeout
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(())
}

fn child(
    name: &str,
    role: &str,
    port: u16,
    args: Vec<String>,
    env: &[(String, String)],
    logs: &Path,
) -> ChildSpec {
    ChildSpec {
        name: name.to_string(),
        role: role.to_string(),
        port,
        program: None,
        args,
        env: env.to_vec(),
        dir: None,
        ready: Ready::Http(format!("{}/health/ready", ports::url(port))),
        ready_timeout: Duration::from_secs(15),
        log: logs.join(format!("{name}.log")),
    }
}

fn process_state(spec: &ChildSpec, proxy_url: Option<String>) -> ProcessState {
    ProcessState {
        name: spec.name.clone(),
        role: spec.role.clone(),
        url: ports::url(spec.port),
        port: spec.port,
        pid: None,
        restarts: 0,
        state: "starting".into(),
        proxy_url,
        ready_url: match &spec.ready {
            Ready::Http(url) => Some(url.clone()),
            Ready::Tcp(_) => None,
        },
        log: spec.log.clone(),
    }
}
