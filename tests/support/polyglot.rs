//! The services not written in Rust, started as real processes: the Python
//! `recommendations` (a venv made by `.ci/envs.sh`, at `$CHAOSLAB_ENVS` or
//! `target/envs`) and the Node.js `shipping` (`services/shipping/node_modules`
//! from `npm ci`). When an environment is missing the test says so on the
//! terminal and stops; under CI (`CI=true`) a missing environment fails.

use chaoslab::lab::ports::PortPicker;
use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// One of the services in another language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polyglot {
    Recommendations,
    Shipping,
}

impl Polyglot {
    pub fn name(self) -> &'static str {
        match self {
            Self::Recommendations => "recommendations",
            Self::Shipping => "shipping",
        }
    }

    /// `telemetry.sdk.language` of its OpenTelemetry SDK.
    pub fn sdk_language(self) -> &'static str {
        match self {
            Self::Recommendations => "python",
            Self::Shipping => "nodejs",
        }
    }

    /// A business request of the service, as (method, path, JSON body).
    pub fn business_request(self) -> (&'static str, &'static str, Option<serde_json::Value>) {
        match self {
            Self::Recommendations => ("GET", "/recommendations?product_id=7&limit=3", None),
            Self::Shipping => (
                "POST",
                "/quotes",
                Some(serde_json::json!({
                    "items": [{"product_id": 7, "quantity": 2}],
                    "destination": {"country": "DE"}
                })),
            ),
        }
    }

    /// The route template of [`Self::business_request`], as metrics and spans name it.
    pub fn business_route(self) -> &'static str {
        match self {
            Self::Recommendations => "/recommendations",
            Self::Shipping => "/quotes",
        }
    }

    /// The program and arguments that run it (less `--port`), or why it
    /// cannot run here.
    pub fn argv(self) -> Result<Vec<PathBuf>, String> {
        let root = repo_root();
        match self {
            Self::Recommendations => {
                let envs = super::envs();
                let python = envs.join("recommendations/bin/python");
                if !python.exists() {
                    return Err(format!(
                        "no Python environment at {} (make it with `bash .ci/envs.sh`)",
                        python.display()
                    ));
                }
                Ok(vec![python, root.join("services/recommendations/main.py")])
            }
            Self::Shipping => {
                let modules = root.join("services/shipping/node_modules");
                if !modules.join(".package-lock.sha256").exists() {
                    return Err(format!(
                        "no Node.js modules at {} (install them with `bash .ci/envs.sh`)",
                        modules.display()
                    ));
                }
                if Command::new("node").arg("--version").output().is_err() {
                    return Err("no `node` on PATH (install it with `bash .ci/envs.sh`)".into());
                }
                Ok(vec![
                    "node".into(),
                    root.join("services/shipping/src/main.js"),
                ])
            }
        }
    }

    /// Starts the service on a free port with `env`, waiting until it is
    /// ready; `None` (after saying so on the terminal) when its environment is
    /// missing outside CI.
    pub async fn start(self, env: &[(&str, &str)]) -> Option<Service> {
        let argv = match self.argv() {
            Ok(argv) => argv,
            Err(why) => {
                skip(self.name(), &why);
                return None;
            }
        };
        let (ports, [port]) = free_ports();
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).args(["--port", &port.to_string()]);
        Some(Service::spawn(self.name(), cmd, (ports, port), env).await)
    }
}

/// Starts the Rust service `name` (`chaoslab service NAME`) on a free port,
/// telemetry off, waiting until it is ready.
pub async fn start_rust(name: &'static str) -> Service {
    start_rust_with(name, &[("OTEL_SDK_DISABLED", "true")]).await
}

/// Starts the Rust service `name` on a free port with `env`.
pub async fn start_rust_with(name: &'static str, env: &[(&str, &str)]) -> Service {
    let (ports, [port]) = free_ports();
    let mut cmd = Command::new(super::exe());
    cmd.args(["service", name, "--listen", &format!("127.0.0.1:{port}")]);
    Service::spawn(name, cmd, (ports, port), env).await
}

/// Says on the terminal (past the test harness's capture) that a test did not
/// run, or fails under CI, where `.ci/run` installs every environment.
pub fn skip(what: &str, why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{what}: {why}; .ci/run should have installed it");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED ({what}): {why}");
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `N` free ports for a child the test starts, each held until the picker
/// is dropped (the lab's own reservation, `PortPicker`): a port probed and
/// let go could be handed to another test's process before the child binds
/// it. The child binds with `SO_REUSEADDR`, as every server stack here does.
pub fn free_ports<const N: usize>() -> (PortPicker, [u16; N]) {
    let mut picker = PortPicker::new(true);
    let ports = std::array::from_fn(|_| picker.pick(0).expect("a free port"));
    (picker, ports)
}

/// A running service process; SIGTERM and a wait when dropped.
pub struct Service {
    pub name: &'static str,
    pub child: Child,
    pub url: String,
    /// A client kept for the test's requests (one connection pool).
    pub http: reqwest::Client,
    log: tempfile::NamedTempFile,
    /// Keeps the process's ports held while it runs.
    _ports: PortPicker,
}

impl Service {
    async fn spawn(
        name: &'static str,
        mut cmd: Command,
        (ports, port): (PortPicker, u16),
        env: &[(&str, &str)],
    ) -> Self {
        let log = tempfile::NamedTempFile::new().expect("log file");
        cmd.envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.reopen().unwrap()))
            .stderr(Stdio::from(log.reopen().unwrap()));
        let child = cmd.spawn().expect("spawn the service");
        let service = Service {
            name,
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: client(),
            log,
            _ports: ports,
        };
        wait_ready(&service.url, Duration::from_secs(30), || service.log()).await;
        service
    }

    /// A process started elsewhere on `ports`, stopped like the others
    /// when dropped.
    pub fn adopt(name: &'static str, child: Child, url: &str, ports: PortPicker) -> Self {
        Service {
            name,
            child,
            url: url.to_string(),
            http: client(),
            log: tempfile::NamedTempFile::new().expect("log file"),
            _ports: ports,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    pub fn log_path(&self) -> &Path {
        self.log.path()
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        chaoslab_testkit::process::signal_and_wait(
            &mut self.child,
            nix::sys::signal::Signal::SIGTERM,
            timeout,
        )
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Waits until `{base}/health/ready` answers 200, or panics with `log()`.
pub async fn wait_ready(base: &str, timeout: Duration, log: impl Fn() -> String) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let url = format!("{base}/health/ready");
    super::eventually(&format!("{base} ready"), timeout, || async {
        match http.get(&url).send().await {
            Ok(r) if r.status() == 200 => Ok(()),
            _ => Err(Log(log())),
        }
    })
    .await
}

/// A service's log, quoted as it is (not escaped) when readiness times out.
struct Log(String);

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "its log:\n{}", self.0)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.terminate(Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
