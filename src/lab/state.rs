//! The state file a running lab leaves for the other subcommands, and the
//! Prometheus file_sd targets beside it.
//!
//! `<state dir>/lab.json` (the state dir is `--state-dir`, else
//! `$CHAOSLAB_STATE_DIR`, else `.chaoslab` in the current directory).

use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// One supervised process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProcessState {
    pub name: String,
    /// `service`, `hub` or `loadgen`.
    pub role: String,
    pub url: String,
    pub port: u16,
    pub pid: Option<u32>,
    pub restarts: u32,
    /// `starting`, `running`, `restarting`, `paused`, `stopped`,
    /// `external` (a `url` service: not started by the lab), or `left out`
    /// (its set-up step could not be made here: not started).
    pub state: String,
    /// The agent's proxy in front of this service, if any.
    pub proxy_url: Option<String>,
    /// The URL that answers 2xx when it is ready; `None`: ready when its
    /// port accepts connections.
    #[serde(default)]
    pub ready_url: Option<String>,
    pub log: PathBuf,
}

/// What `chaoslab up` writes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LabState {
    pub supervisor_pid: u32,
    pub started_at: f64,
    /// The entry service's URL (the one the load goes to).
    #[serde(alias = "gateway_url")]
    pub entry_url: String,
    /// The entry service's name.
    #[serde(default)]
    pub entry: Option<String>,
    /// The lab file the lab was started from.
    #[serde(default)]
    pub lab: Option<PathBuf>,
    /// The resilience overlay it was started with.
    #[serde(default)]
    pub config: Option<PathBuf>,
    pub agent_url: Option<String>,
    pub hub_url: Option<String>,
    pub otlp_grpc: Option<String>,
    pub otlp_http: Option<String>,
    pub loadgen_url: Option<String>,
    pub processes: BTreeMap<String, ProcessState>,
}

/// Where the state lives: the flag, `$CHAOSLAB_STATE_DIR`, or `.chaoslab`.
pub fn state_dir(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("CHAOSLAB_STATE_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(".chaoslab"))
}

impl LabState {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("lab.json")
    }

    /// Reads a running lab's state; the error says how to start one.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path).map_err(|_| {
            anyhow::anyhow!(
                "no running lab: {} not found (start one with `chaoslab up`)",
                path.display()
            )
        })?;
        let state: Self = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a lab state file: {e}", path.display()))?;
        if !pid_alive(state.supervisor_pid) {
            anyhow::bail!(
                "the lab in {} is not running (its supervisor, pid {}, is gone)",
                path.display(),
                state.supervisor_pid
            );
        }
        Ok(state)
    }

    /// Each service of the lab and its base URL, in name order.
    pub fn service_urls(&self) -> Vec<(String, String)> {
        self.processes
            .values()
            .filter(|p| p.role == "service")
            .map(|p| (p.name.clone(), p.url.clone()))
            .collect()
    }

    /// Writes atomically (temp file + rename), with the Prometheus targets.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        write_atomic(&Self::path(dir), &serde_json::to_vec_pretty(self)?)?;
        let mut targets: Vec<serde_json::Value> = self
            .processes
            .values()
            // A broker has no Prometheus exposition.
            .filter(|p| p.state != "external" && p.role != "broker")
            .map(|p| serde_json::json!({ "targets": [format!("127.0.0.1:{}", p.port)], "labels": { "job": p.name } }))
            .collect();
        if let Some(agent) = &self.agent_url {
            let hostport = agent.trim_start_matches("http://");
            targets
                .push(serde_json::json!({ "targets": [hostport], "labels": { "job": "agent" } }));
        }
        write_atomic(
            &dir.join("prometheus-targets.json"),
            &serde_json::to_vec_pretty(&targets)?,
        )
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

/// Whether a process with `pid` exists.
pub fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}
