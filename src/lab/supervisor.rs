//! Child processes: spawned from this same binary, health-gated, restarted
//! with backoff when they crash, signalled on request (process faults), and
//! stopped cleanly (SIGTERM, then SIGKILL after a grace period).
//!
//! Each child gets `CHAOSLAB_PARENT_PID`, so it exits by itself if the
//! supervisor dies without stopping it.

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
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Polled until 200 after each start.
    pub ready_url: String,
    pub log: PathBuf,
}

/// What can be done to a child from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Kill,
    Terminate,
    /// SIGSTOP until resumed; a guard resumes it if the supervisor dies.
    Pause,
    /// SIGSTOP for a while, resumed by a guard process on its own clock.
    PauseFor(Duration),
    Resume,
    Restart,
    /// Kill and keep down until the instant (a service outage); ended early
    /// by [`Action::Start`].
    StopUntil(Instant),
    /// End a [`Action::StopUntil`] now.
    Start,
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
        let mut cmd = tokio::process::Command::new(&self.exe);
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

    /// Waits until every child answers its ready URL, or `timeout` passes.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(500))
            .build()
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + timeout;
        let specs: Vec<ChildSpec> = self.views().into_iter().map(|v| v.spec).collect();
        for spec in specs {
            loop {
                let ok = matches!(http.get(&spec.ready_url).send().await, Ok(r) if r.status().is_success());
                if ok {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{} not ready after {timeout:?}; see {}",
                        spec.name,
                        spec.log.display()
                    ));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok(())
    }

    /// Applies `action` to the child `name`.
    pub fn act(&self, name: &str, action: Action) -> Result<(), String> {
        let child = self
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        let child = child.ok_or_else(|| format!("no process named {name:?}"))?;
        if !matches!(action, Action::Terminate | Action::Start) {
            child.end_guard();
        }
        match action {
            Action::Kill => child.signal(Signal::SIGKILL),
            Action::Terminate => child.signal(Signal::SIGTERM),
            Action::Pause => self.pause(&child, None),
            Action::PauseFor(d) => self.pause(&child, Some(d)),
            Action::Resume => child
                .signal(Signal::SIGCONT)
                .map(|_| child.set_state("running")),
            Action::Restart => {
                child.immediate.store(true, Ordering::SeqCst);
                let _ = child.signal(Signal::SIGCONT);
                child.signal(Signal::SIGTERM)
            }
            Action::StopUntil(until) => {
                *child.hold.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
                let _ = child.signal(Signal::SIGCONT);
                child.signal(Signal::SIGKILL)
            }
            Action::Start => {
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
                Err(format!("{}: cannot start the pause guard: {e}", child.spec.name))
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
