//! Child processes: this same binary's subcommands or a lab file's commands,
//! health-gated, restarted with backoff when they crash, signalled on
//! request (process faults), and stopped cleanly (SIGTERM, then SIGKILL
//! after a grace period).
//!
//! Each child gets `CHAOSLAB_PARENT_PID`, so the lab's own processes exit by
//! themselves if the supervisor dies without stopping it; a lab file's
//! commands are started under `setpriv --pdeathsig SIGKILL` (util-linux)
//! when it is installed, so the kernel kills them then.

use chaoslab_contract::ProcessAction;
use nix::{sys::signal::Signal, unistd::Pid};
use std::{
    collections::BTreeMap,
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};
use tokio::{sync::Notify, time::Instant};

/// How to run one child.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    pub name: String,
    pub role: String,
    pub port: u16,
    /// The program; `None`: this same binary.
    pub program: Option<PathBuf>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Working directory; `None`: the supervisor's.
    pub dir: Option<PathBuf>,
    /// When it counts as ready.
    pub ready: Ready,
    /// How long it has to become ready.
    pub ready_timeout: Duration,
    pub log: PathBuf,
}

/// When a child counts as ready.
#[derive(Debug, Clone, PartialEq)]
pub enum Ready {
    /// This URL answers 2xx.
    Http(String),
    /// This address accepts TCP connections.
    Tcp(std::net::SocketAddr),
}

impl Ready {
    async fn check(&self, http: &reqwest::Client) -> bool {
        match self {
            Ready::Http(url) => {
                matches!(http.get(url).send().await, Ok(r) if r.status().is_success())
            }
            Ready::Tcp(addr) => tokio::net::TcpStream::connect(addr).await.is_ok(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Ready::Http(url) => format!("GET {url} answered no 2xx"),
            Ready::Tcp(addr) => format!("nothing accepted connections on {addr}"),
        }
    }
}

struct Child {
    spec: ChildSpec,
    pid: AtomicU32,
    restarts: AtomicU32,
    state: Mutex<&'static str>,
    /// Restart at once, without backoff (a requested restart).
    immediate: AtomicBool,
    stopped: Notify,
    /// While set and in the future, the child is kept down.
    hold: Mutex<Option<Instant>>,
    /// Wakes a held child early.
    released: Notify,
    /// How the last run ended, for error messages.
    last_exit: Mutex<Option<String>>,
    /// The guard of the current pause (see [`super::pause_guard`]).
    guard: Mutex<Option<tokio::process::Child>>,
}

impl Child {
    fn set_state(&self, s: &'static str) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }
    fn state(&self) -> &'static str {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Ends the guard of a pause that is over (resumed, killed, restarted).
    fn end_guard(&self) {
        if let Some(mut guard) = self.guard.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = guard.start_kill();
        }
    }
    fn signal(&self, sig: Signal) -> Result<(), String> {
        match self.pid.load(Ordering::SeqCst) {
            0 => Err(format!("{} is not running", self.spec.name)),
            pid => nix::sys::signal::kill(Pid::from_raw(pid as i32), sig)
                .map_err(|e| format!("{}: {e}", self.spec.name)),
        }
    }
}

/// A snapshot of one child, for the state file and `status`.
#[derive(Debug, Clone)]
pub struct ChildView {
    pub spec: ChildSpec,
    pub pid: Option<u32>,
    pub restarts: u32,
    pub state: &'static str,
}

/// The set of children.
pub struct Supervisor {
    exe: PathBuf,
    children: Mutex<BTreeMap<String, Arc<Child>>>,
    shutting_down: Arc<AtomicBool>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Supervisor {
    pub fn new(exe: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            exe,
            children: Mutex::default(),
            shutting_down: Arc::default(),
            tasks: Mutex::default(),
        })
    }

    /// Starts `spec` and keeps it running until [`Supervisor::stop_all`].
    pub fn start(self: &Arc<Self>, spec: ChildSpec) {
        let child = Arc::new(Child {
            spec,
            pid: AtomicU32::new(0),
            restarts: AtomicU32::new(0),
            state: Mutex::new("starting"),
            immediate: AtomicBool::new(false),
            stopped: Notify::new(),
            hold: Mutex::new(None),
            released: Notify::new(),
            last_exit: Mutex::new(None),
            guard: Mutex::new(None),
        });
        self.children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(child.spec.name.clone(), child.clone());
        let me = self.clone();
        let task = tokio::spawn(async move { me.keep_running(child).await });
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }

    async fn keep_running(&self, child: Arc<Child>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            if self.shutting_down.load(Ordering::SeqCst) {
                break;
            }
            let started = Instant::now();
            let exit = match self.spawn(&child) {
                Ok(mut proc) => {
                    child.pid.store(proc.id().unwrap_or(0), Ordering::SeqCst);
                    let status = proc.wait().await;
                    child.pid.store(0, Ordering::SeqCst);
                    format!("{status:?}")
                }
                Err(e) => format!("cannot start: {e}"),
            };
            if self.shutting_down.load(Ordering::SeqCst) {
                break;
            }
            *child.last_exit.lock().unwrap_or_else(|e| e.into_inner()) = Some(exit.clone());
            child.restarts.fetch_add(1, Ordering::SeqCst);
            child.set_state("restarting");
            tracing::warn!(child = %child.spec.name, %exit, "exited; restarting");
            if started.elapsed() > Duration::from_secs(10) {
                backoff = Duration::from_millis(100);
            }
            let held = *child.hold.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(until) = held.filter(|u| *u > Instant::now()) {
                child.set_state("stopped");
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {},
                    _ = child.released.notified() => {},
                    _ = child.stopped.notified() => break,
                }
                *child.hold.lock().unwrap_or_else(|e| e.into_inner()) = None;
                continue;
            }
            if !child.immediate.swap(false, Ordering::SeqCst) {
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {},
                    _ = child.stopped.notified() => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
        child.set_state("stopped");
    }

    fn spawn(&self, child: &Child) -> std::io::Result<tokio::process::Child> {
        let spec = &child.spec;
        if let Some(dir) = spec.log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)?;
        let mut cmd = match &spec.program {
            None => tokio::process::Command::new(&self.exe),
            // The kernel kills a lab file's command if this process dies.
            Some(program) => chaoslab_kit::process::dying_with_parent(program, "SIGKILL"),
        };
        if let Some(dir) = &spec.dir {
            cmd.current_dir(dir);
        }
        cmd.args(&spec.args)
            .envs(spec.env.iter().cloned())
            .env("CHAOSLAB_PARENT_PID", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let proc = cmd.spawn()?;
        child.set_state("running");
        Ok(proc)
    }

    /// Waits until every child is ready, each within its own
    /// `ready_timeout` from now; the error names the first that is not.
    pub async fn wait_ready(&self) -> Result<(), String> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(500))
            .build()
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let children: Vec<Arc<Child>> = self
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let waits = children.iter().map(|c| {
            let http = http.clone();
            async move {
                let spec = &c.spec;
                let deadline = started + spec.ready_timeout;
                loop {
                    if spec.ready.check(&http).await {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        let exits = c.restarts.load(Ordering::SeqCst);
                        let last = c
                            .last_exit
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .clone();
                        let exited = match (exits, last) {
                            (0, _) | (_, None) => String::new(),
                            (n, Some(l)) => format!("; it exited {n} time(s), last: {l}"),
                        };
                        return Err(format!(
                            "service {} did not become ready within {:?} ({}){exited}; see {}",
                            spec.name,
                            spec.ready_timeout,
                            spec.ready.describe(),
                            spec.log.display()
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        for r in futures::future::join_all(waits).await {
            r?;
        }
        Ok(())
    }

    fn child(&self, name: &str) -> Result<Arc<Child>, String> {
        let child = self
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        child.ok_or_else(|| format!("no process named {name:?}"))
    }

    /// Kills the child `name` and keeps it down until `until` (an outage);
    /// ended early by [`ProcessAction::Start`].
    pub fn stop_until(&self, name: &str, until: Instant) -> Result<(), String> {
        let child = self.child(name)?;
        child.end_guard();
        *child.hold.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
        let _ = child.signal(Signal::SIGCONT);
        child.signal(Signal::SIGKILL)
    }

    /// SIGSTOPs the child `name` for `duration`; a guard process resumes it on
    /// its own clock, even if the supervisor is gone by then.
    pub fn pause_for(&self, name: &str, duration: Duration) -> Result<(), String> {
        let child = self.child(name)?;
        child.end_guard();
        self.pause(&child, Some(duration))
    }

    /// Applies `action` to the child `name`. A `Stop` needs a duration:
    /// use [`Supervisor::stop_until`].
    pub fn act(&self, name: &str, action: ProcessAction) -> Result<(), String> {
        let child = self.child(name)?;
        if !matches!(
            action,
            ProcessAction::Terminate | ProcessAction::Start | ProcessAction::Stop
        ) {
            child.end_guard();
        }
        match action {
            ProcessAction::Kill => child.signal(Signal::SIGKILL),
            ProcessAction::Terminate => child.signal(Signal::SIGTERM),
            ProcessAction::Pause => self.pause(&child, None),
            ProcessAction::Resume => child
                .signal(Signal::SIGCONT)
                .map(|_| child.set_state("running")),
            ProcessAction::Restart => {
                child.immediate.store(true, Ordering::SeqCst);
                let _ = child.signal(Signal::SIGCONT);
                child.signal(Signal::SIGTERM)
            }
            ProcessAction::Stop => Err("a stop needs a duration".to_string()),
            ProcessAction::Start => {
                if child
                    .hold
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .is_some()
                {
                    child.released.notify_one();
                }
                Ok(())
            }
        }
    }

    /// SIGSTOP, then a guard that resumes the child when the pause ends
    /// (or, for a pause without end, when the supervisor is gone). Without a
    /// guard there is no pause: the child is resumed and the error returned.
    fn pause(&self, child: &Child, duration: Option<Duration>) -> Result<(), String> {
        let pid = child.pid.load(Ordering::SeqCst);
        let start = super::pause_guard::proc_stat(pid)
            .map(|(_, start)| start)
            .ok_or_else(|| format!("{} is not running", child.spec.name))?;
        child.signal(Signal::SIGSTOP)?;
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.arg("pause-guard")
            .args(["--pid", &pid.to_string(), "--start", &start.to_string()])
            .args(["--parent", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(d) = duration {
            cmd.args(["--for-ms", &d.as_millis().to_string()]);
        }
        match cmd.spawn() {
            Ok(guard) => {
                *child.guard.lock().unwrap_or_else(|e| e.into_inner()) = Some(guard);
                child.set_state("paused");
                Ok(())
            }
            Err(e) => {
                let _ = child.signal(Signal::SIGCONT);
                Err(format!(
                    "{}: cannot start the pause guard: {e}",
                    child.spec.name
                ))
            }
        }
    }

    pub fn views(&self) -> Vec<ChildView> {
        self.children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|c| ChildView {
                spec: c.spec.clone(),
                pid: match c.pid.load(Ordering::SeqCst) {
                    0 => None,
                    p => Some(p),
                },
                restarts: c.restarts.load(Ordering::SeqCst),
                state: c.state(),
            })
            .collect()
    }

    /// SIGTERM to every child (resumed first if paused), SIGKILL to any
    /// still running after `grace`.
    pub async fn stop_all(&self, grace: Duration) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let children: Vec<Arc<Child>> = self
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for c in &children {
            c.end_guard();
            c.stopped.notify_one();
            let _ = c.signal(Signal::SIGTERM);
            let _ = c.signal(Signal::SIGCONT);
        }
        let tasks: Vec<_> = self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        let all = futures_join(tasks);
        if tokio::time::timeout(grace, all).await.is_err() {
            for c in &children {
                let _ = c.signal(Signal::SIGKILL);
            }
        }
    }
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}
