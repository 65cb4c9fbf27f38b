//! What the supervisor starts for each service of a lab file: the shop's
//! built-in services as `chaoslab service NAME --lab FILE`, a command as
//! written (placeholders filled, `CHAOSLAB_DEP_<NAME>` set), a broker as
//! its program with its port and data dir, and nothing for a `url` service
//! (only proxied and scraped).

use super::{
    ports,
    supervisor::{ChildSpec, Ready},
};
use chaoslab_contract::{Run, Service};
use std::{
    collections::BTreeMap,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
};

/// Where a lab's services are and what they are given.
pub struct Wiring<'a> {
    /// The lab file the built-in services read (their settings, policies).
    pub lab_file: &'a Path,
    /// The lab's state dir: a broker keeps its data in `broker/NAME` there.
    pub state_dir: &'a Path,
    /// A resilience overlay passed on to the built-in services.
    pub config: Option<&'a Path>,
    /// Environment every child gets (OTLP endpoint).
    pub env: &'a [(String, String)],
    /// The prepared environment (`{env}`) of each command with a set-up step.
    pub envs: &'a BTreeMap<String, PathBuf>,
    pub logs: &'a Path,
}

/// The child to start for `svc` on `port`, whose dependencies are at
/// `deps` (proxy URLs); `None` for a `url` service.
pub fn spec(
    svc: &Service,
    port: u16,
    deps: &BTreeMap<String, String>,
    w: &Wiring,
) -> Option<ChildSpec> {
    let ready = match &svc.health {
        Some(path) => Ready::Http(format!("{}{path}", ports::url(port))),
        None => Ready::Tcp(SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
    };
    let log = w.logs.join(format!("{}.log", svc.name));
    let mut env = w.env.to_vec();
    let (program, args, dir): (Option<PathBuf>, Vec<String>, Option<PathBuf>) = match &svc.run {
        Run::Url { .. } => return None,
        Run::Builtin(_) => {
            let mut args = vec![
                "service".to_string(),
                svc.name.clone(),
                "--listen".into(),
                format!("127.0.0.1:{port}"),
                "--lab".into(),
                w.lab_file.display().to_string(),
            ];
            for (dep, url) in deps {
                args.extend(["--dep".into(), format!("{dep}={url}")]);
            }
            if let Some(cfg) = w.config {
                args.extend(["--config".into(), cfg.display().to_string()]);
            }
            (None, args, None)
        }
        Run::Broker(b) => {
            // Left out before this when it is not installed.
            let program = b.installed()?;
            let data = broker_data_dir(w.state_dir, &svc.name);
            (
                Some(program),
                b.args(&svc.name, "127.0.0.1", port, &data),
                None,
            )
        }
        Run::Command { .. } => {
            let env_dir = w.envs.get(&svc.name).map(PathBuf::as_path);
            let line = svc.command_line(port, deps, env_dir)?;
            env.push(("OTEL_SERVICE_NAME".into(), svc.name.clone()));
            env.push(("CHAOSLAB_SERVICE".into(), svc.name.clone()));
            env.push(("CHAOSLAB_PORT".into(), port.to_string()));
            env.extend(line.env);
            let mut argv = line.argv.into_iter();
            let program = argv.next().map(PathBuf::from)?;
            // A relative program path is the working directory's.
            let program = if program.components().count() > 1 && program.is_relative() {
                line.dir.join(program)
            } else {
                program
            };
            (Some(program), argv.collect(), Some(line.dir))
        }
    };
    Some(ChildSpec {
        name: svc.name.clone(),
        // A broker speaks no HTTP: not probed or scraped as a service.
        role: if svc.broker().is_some() {
            "broker".into()
        } else {
            "service".into()
        },
        port,
        program,
        args,
        env,
        dir,
        ready,
        ready_timeout: svc.ready_timeout,
        log,
    })
}

/// Where the broker `name` keeps its data: `STATE_DIR/broker/NAME`, made
/// empty by `chaoslab up` so each lab starts with no messages.
pub fn broker_data_dir(state_dir: &Path, name: &str) -> PathBuf {
    std::path::absolute(state_dir.join("broker").join(name))
        .unwrap_or_else(|_| state_dir.join("broker").join(name))
}
