//! `chaoslab up`: the whole lab from one command.
//!
//! Order: pick ports, start the chaos agent (in this process) with one
//! http-mode proxy per callee, start the hub and the six services as child
//! processes (in parallel; each service's dependency URLs point at the
//! agent's proxies), wait until every child is ready, write the state file,
//! start the load generator, then show the dashboard (or, `--headless`, a
//! live health line) until Ctrl-C or SIGTERM; then stop everything.

use super::{
    agent_host, ports,
    ports::PortPicker,
    state::{LabState, ProcessState},
    supervisor::{ChildSpec, Supervisor},
};
use anyhow::Context;
use chaoslab_shop::{START_ORDER, dependencies};
use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Duration};

/// Options of `chaoslab up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub headless: bool,
    pub state_dir: PathBuf,
    pub config: Option<PathBuf>,
    /// Every port a free one, never the defaults (tests, `chaoslab run`).
    pub ephemeral_ports: bool,
    /// Services call each other directly, without the agent's proxies.
    pub direct: bool,
    /// Requests per second of the built-in load; 0 for none.
    pub load_rate: f64,
    pub seed: Option<u64>,
}

/// A started lab: its state, and the handles that stop it.
pub struct RunningLab {
    pub state: LabState,
    pub supervisor: Arc<Supervisor>,
    agent: Option<agent_host::AgentHost>,
    telemetry: chaoslab_kit::telemetry::Telemetry,
    state_dir: PathBuf,
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
        // Children drain for the kit's cap; any still there are killed.
        self.supervisor.stop_all(STOP_GRACE).await;
        if let Some(a) = self.agent {
            a.stop().await;
        }
        let _ = tokio::time::timeout(chaoslab_kit::serve::FLUSH_CAP, self.telemetry.shutdown()).await;
        let _ = std::fs::remove_file(LabState::path(&self.state_dir));
    }
}

/// Starts the lab and returns once every process is ready.
pub async fn start(opts: &UpOptions) -> anyhow::Result<RunningLab> {
    if let Ok(existing) = LabState::load(&opts.state_dir) {
        anyhow::bail!(
            "a lab is already running from {} (supervisor pid {}); stop it with `chaoslab down` or use another --state-dir",
            opts.state_dir.display(),
            existing.supervisor_pid
        );
    }
    if let Some(cfg) = &opts.config {
        // Refuse a bad config before anything starts.
        chaoslab_kit::config::LabConfig::load(cfg, chaoslab_shop::TOPOLOGY)?;
    }
    std::fs::create_dir_all(&opts.state_dir)
        .with_context(|| format!("cannot create {}", opts.state_dir.display()))?;
    let exe = std::env::current_exe().context("cannot find the chaoslab executable")?;
    let logs = opts.state_dir.join("logs");
    let mut picker = PortPicker::new(opts.ephemeral_ports);

    let service_ports: BTreeMap<&str, u16> = START_ORDER
        .iter()
        .map(|s| Ok((*s, picker.pick(ports::service_port(s))?)))
        .collect::<std::io::Result<_>>()?;
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
    // The agent, in this process, with a proxy in front of every callee.
    let (agent, proxy_urls) = if opts.direct {
        (None, BTreeMap::new())
    } else {
        let host = agent_host::start(
            agent_port,
            supervisor.clone(),
            service_ports.clone(),
            opts.seed,
            telemetry.metrics(),
        )
        .await?;
        let mut urls = BTreeMap::new();
        for (callee, port) in &service_ports {
            if *callee == "gateway" {
                continue;
            }
            let listen = picker.pick(ports::proxy_port(callee))?;
            let url = host.add_proxy(callee, listen, *port).await?;
            urls.insert(callee.to_string(), url);
        }
        (Some(host), urls)
    };

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
    let mut processes = BTreeMap::new();
    let mut targets = Vec::new();

    for (name, port) in &service_ports {
        let mut args = vec![
            "service".to_string(),
            name.to_string(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
        ];
        for dep in dependencies(name).unwrap_or_default() {
            let url = proxy_urls
                .get(*dep)
                .cloned()
                .unwrap_or_else(|| ports::url(service_ports[dep]));
            args.extend(["--dep".into(), format!("{dep}={url}")]);
        }
        if let Some(cfg) = &opts.config {
            args.extend(["--config".into(), cfg.display().to_string()]);
        }
        targets.push(format!("{name}={}", ports::url(*port)));
        let spec = child(name, "service", *port, args, &env, &logs);
        processes.insert(
            name.to_string(),
            process_state(&spec, proxy_urls.get(*name).cloned()),
        );
        supervisor.start(spec);
    }
    if let Some(a) = &agent {
        targets.push(format!("agent={}", a.url()));
    }
    targets.push(format!("loadgen={}", ports::url(loadgen_port)));
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
    if let Some(a) = &agent {
        hub_args.extend(["--agent".into(), a.url()]);
    }
    // The hub must not trace itself into itself.
    let hub_env = vec![("OTEL_SDK_DISABLED".to_string(), "true".to_string())];
    let hub_spec = ChildSpec {
        ready_url: format!("{hub_url}/api/health"),
        ..child("hub", "hub", hub[0], hub_args, &hub_env, &logs)
    };
    processes.insert("hub".into(), process_state(&hub_spec, None));
    supervisor.start(hub_spec);

    supervisor
        .wait_ready(Duration::from_secs(15))
        .await
        .map_err(|e| anyhow::anyhow!(e))?;

    let gateway_url = proxy_urls
        .get("gateway")
        .cloned()
        .unwrap_or_else(|| ports::url(service_ports["gateway"]));
    let loadgen_url = ports::url(loadgen_port);
    if opts.load_rate > 0.0 {
        let args = vec![
            "load".to_string(),
            "--target".into(),
            gateway_url.clone(),
            "--rate".into(),
            opts.load_rate.to_string(),
            "--listen".into(),
            format!("127.0.0.1:{loadgen_port}"),
        ];
        let spec = child("loadgen", "loadgen", loadgen_port, args, &env, &logs);
        processes.insert("loadgen".into(), process_state(&spec, None));
        supervisor.start(spec);
        supervisor
            .wait_ready(Duration::from_secs(10))
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
    }

    let state = LabState {
        supervisor_pid: std::process::id(),
        started_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
        gateway_url,
        agent_url: agent.as_ref().map(|a| a.url()),
        hub_url: Some(hub_url),
        otlp_grpc: Some(otlp_grpc),
        otlp_http: Some(ports::url(hub[2])),
        loadgen_url: (opts.load_rate > 0.0).then_some(loadgen_url),
        processes,
    };
    let mut lab = RunningLab {
        state,
        supervisor,
        agent,
        telemetry,
        state_dir: opts.state_dir.clone(),
    };
    lab.refresh();
    Ok(lab)
}

fn child(
    name: &str,
    role: &str,
    port: u16,
    args: Vec<String>,
    env: &[(String, String)],
    logs: &std::path::Path,
) -> ChildSpec {
    ChildSpec {
        name: name.to_string(),
        role: role.to_string(),
        port,
        args,
        env: env.to_vec(),
        ready_url: format!("{}/health/ready", ports::url(port)),
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
        log: spec.log.clone(),
    }
}
