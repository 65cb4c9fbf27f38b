//! The lab model: what a lab file (TOML) describes, resolved and validated.
//!
//! ```toml
//! [services.api]
//! command = ["python3", "api.py", "--port", "{port}"]
//! health = "/healthz"
//! depends_on = ["db"]          # the child gets CHAOSLAB_DEP_DB=<proxy URL>
//! [services.db]
//! url = "http://127.0.0.1:9000"
//! [load]
//! rate = 10
//! [[load.journeys]]
//! name = "list"
//! steps = [{ method = "GET", path = "/items" }]
//! ```
//!
//! Layout: `raw` (the file's shape, with spans), `resolve` (checks and the
//! model), `journeys` (load steps and their placeholders), `resilience`
//! (policies and settings, and the `--config` overlay), `settings` (the
//! one list of the services' settings), `command`
//! (placeholders of a command, program lookup), `prepare` (a command's
//! set-up step, from a lock file), `broker` (a message broker the lab
//! runs), `hub` (the hub's budgets). The reference is
//! `docs/lab-file.md`.

// First: its macros are used by the modules below.
#[macro_use]
mod settings;
mod broker;
mod command;
mod hub;
mod journeys;
mod prepare;
mod raw;
mod resilience;
mod resolve;

use crate::{FileError, ProxyMode, error};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

pub use broker::{Broker, host_port};
pub use command::CommandError;
pub use hub::HubSettings;
pub use journeys::{Journey, Load, Step, Template, TemplatePart};
pub use prepare::Prepare;
pub use resilience::{Resilience, ServiceResilience};
pub use settings::SettingsPatch;

/// Processes every lab has beside its services; no service may take their names.
pub const RESERVED_NAMES: &[&str] = &["agent", "hub", "loadgen"];

/// How long a started service has to become healthy, unless it says.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A lab, as its file describes it.
#[derive(Debug, Clone)]
pub struct Lab {
    /// The file it was read from (as given).
    pub file: PathBuf,
    /// The folder of the file: commands' working directories are relative to it.
    pub dir: PathBuf,
    /// Every service, by name.
    pub services: BTreeMap<String, Service>,
    /// The service the load and the HTTP probes go to.
    pub entry: String,
    pub load: Load,
    pub resilience: Resilience,
    /// The hub's store budgets and value cap (`[hub]`).
    pub hub: HubSettings,
    /// Callees first.
    start_order: Vec<String>,
}

/// One service of a lab.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub run: Run,
    /// The port to listen on; `None`: a free one.
    pub port: Option<u16>,
    /// The port of the agent's proxy in front of it; `None`: a free one.
    pub proxy_port: Option<u16>,
    /// Path answered with 2xx once ready; `None`: ready when the port accepts.
    pub health: Option<String>,
    /// Path of its Prometheus exposition, scraped by the hub; `None`: not scraped.
    pub metrics: Option<String>,
    /// How long it has to become healthy after it starts.
    pub ready_timeout: Duration,
    /// The services it calls, each through an agent proxy.
    pub depends_on: Vec<Dependency>,
}

/// How a service runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    /// One of the shop's services compiled into chaoslab (`chaoslab service NAME`).
    Builtin(String),
    /// A program the supervisor starts and supervises.
    Command {
        /// Program and arguments, with `{port}` and `{dep.NAME}` placeholders.
        argv: Vec<String>,
        /// Extra environment, with the same placeholders.
        env: BTreeMap<String, String>,
        /// Working directory (the lab file's folder unless `dir` says).
        dir: PathBuf,
        /// Its set-up step, run before it starts; `{env}` is where it made
        /// the environment.
        prepare: Option<Prepare>,
    },
    /// A message broker the lab starts and supervises (`broker = "nats"`),
    /// reached through a TCP proxy; left out when it is not installed.
    Broker(Broker),
    /// Already running at this base URL: proxied and scraped, never started.
    Url {
        url: String,
        host: String,
        port: u16,
    },
}

/// The built-in services that consume `order.placed` (when a broker is
/// among their dependencies).
pub const EVENT_CONSUMERS: &[&str] = &["shipments", "notifications"];

/// A dependency: a callee, reached through an agent proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub mode: ProxyMode,
}

impl Lab {
    /// Reads and checks a lab file.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| error::unreadable(&label, &e))?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        // Absolute, so commands started elsewhere find their files.
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let mut lab = Self::parse(&label, &text, &dir)?;
        lab.file = path.to_path_buf();
        Ok(lab)
    }

    /// Parses lab-file text; `file` names it in errors, `dir` is where
    /// relative working directories start.
    pub fn parse(file: &str, text: &str, dir: &Path) -> Result<Self, FileError> {
        resolve::lab(file, text, dir)
    }

    /// Applies a config overlay (`--config`: `[defaults]` and per-service
    /// resilience keys only), checked against this lab's services.
    pub fn overlay(&mut self, path: &Path) -> Result<(), FileError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| error::unreadable(&label, &e))?;
        let services: BTreeMap<String, Vec<String>> = self
            .services
            .values()
            .map(|s| (s.name.clone(), s.dependency_names()))
            .collect();
        self.resilience.overlay(&label, &text, &services)
    }

    /// Service names, in name order: the lab's service list.
    pub fn service_names(&self) -> Vec<&str> {
        self.services.keys().map(String::as_str).collect()
    }

    /// Services in start order: callees before their callers.
    pub fn start_order(&self) -> impl Iterator<Item = &Service> {
        self.start_order.iter().filter_map(|n| self.services.get(n))
    }

    /// The services someone depends on: each has one agent proxy, named after it.
    pub fn proxies(&self) -> Vec<&str> {
        self.services
            .keys()
            .filter(|n| self.proxy_mode(n).is_some())
            .map(String::as_str)
            .collect()
    }

    /// The mode of the proxy in front of `callee`, if anyone depends on it.
    pub fn proxy_mode(&self, callee: &str) -> Option<ProxyMode> {
        self.services
            .values()
            .flat_map(|s| &s.depends_on)
            .find(|d| d.name == callee)
            .map(|d| d.mode)
    }

    /// The dependencies of `service` (empty for a leaf or an unknown name).
    pub fn dependencies_of(&self, service: &str) -> Vec<&str> {
        self.services
            .get(service)
            .map(|s| s.depends_on.iter().map(|d| d.name.as_str()).collect())
            .unwrap_or_default()
    }

    /// The services whose processes the supervisor runs (process faults apply).
    pub fn supervised(&self) -> Vec<&str> {
        self.services
            .values()
            .filter(|s| !matches!(s.run, Run::Url { .. }))
            .map(|s| s.name.as_str())
            .collect()
    }

    /// Whether `service` consumes events: for a built-in, whether it is one
    /// of [`EVENT_CONSUMERS`] with a broker among its dependencies (without
    /// one it consumes nothing); `None` for a program or URL the lab cannot
    /// see into (the service itself says, refusing a consumer fault).
    pub fn consumes_events(&self, service: &str) -> Option<bool> {
        let s = self.services.get(service)?;
        let builtin = s.builtin()?;
        let has_broker = s.depends_on.iter().any(|d| {
            self.services
                .get(&d.name)
                .is_some_and(|b| matches!(b.run, Run::Broker(_)))
        });
        Some(EVENT_CONSUMERS.contains(&builtin) && has_broker)
    }

    /// The load journeys' names.
    pub fn journey_names(&self) -> Vec<&str> {
        self.load.journeys.iter().map(|j| j.name.as_str()).collect()
    }
}

impl Service {
    pub fn dependency_names(&self) -> Vec<String> {
        self.depends_on.iter().map(|d| d.name.clone()).collect()
    }

    /// Whether it is one of the shop's built-in services.
    pub fn builtin(&self) -> Option<&str> {
        match &self.run {
            Run::Builtin(b) => Some(b),
            _ => None,
        }
    }

    /// Program, arguments and environment of a command service, with
    /// `{port}`, `{dep.NAME}` and `{env}` filled in; `deps` maps each
    /// dependency to its proxy URL, `env_dir` is where its set-up step made
    /// its environment. The environment includes `CHAOSLAB_DEP_<NAME>`.
    pub fn command_line(
        &self,
        port: u16,
        deps: &BTreeMap<String, String>,
        env_dir: Option<&Path>,
    ) -> Option<CommandLine> {
        let Run::Command { argv, env, dir, .. } = &self.run else {
            return None;
        };
        let fill = |s: &String| command::fill(s, port, deps, env_dir);
        let mut vars: Vec<(String, String)> = deps
            .iter()
            .map(|(d, url)| (dep_env_var(d), url.clone()))
            .collect();
        vars.extend(env.iter().map(|(k, v)| (k.clone(), fill(v))));
        Some(CommandLine {
            argv: argv.iter().map(fill).collect(),
            env: vars,
            dir: dir.clone(),
        })
    }

    /// For a command service: an error when its program cannot be found
    /// (`env_dir`: its prepared environment, for a program under `{env}`).
    pub fn check_program(&self, env_dir: Option<&Path>) -> Result<(), CommandError> {
        match &self.run {
            Run::Command { argv, dir, .. } => {
                let program = command::fill(&argv[0], 0, &BTreeMap::new(), env_dir);
                command::check_program(&self.name, &program, dir)
            }
            _ => Ok(()),
        }
    }

    /// The broker it is, if it is one.
    pub fn broker(&self) -> Option<Broker> {
        match &self.run {
            Run::Broker(b) => Some(*b),
            _ => None,
        }
    }

    /// A command service's set-up step, if it has one.
    pub fn prepare(&self) -> Option<&Prepare> {
        match &self.run {
            Run::Command { prepare, .. } => prepare.as_ref(),
            _ => None,
        }
    }
}

/// A command service, ready to start.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandLine {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub dir: PathBuf,
}

/// `CHAOSLAB_DEP_<NAME>`: the variable a child finds a dependency's proxy URL in.
pub fn dep_env_var(name: &str) -> String {
    format!(
        "CHAOSLAB_DEP_{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

#[cfg(test)]
mod tests;
