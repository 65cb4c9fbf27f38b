//! A small real lab for the `/chaos` tests: a child process to pause and
//! resume through `kill`, a service admin API that keeps in-service faults,
//! and an HTTP upstream that echoes the `traceparent` it received.

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use chaoslab_chaos::{LabControl, ProcessAction};

/// Services: `sleeper` (a real `sleep` process) and `svc` (an admin API).
pub struct TestLab {
    pub child: Mutex<Child>,
    pub admin: String,
}

impl TestLab {
    pub async fn start() -> Arc<Self> {
        let child = spawn_sleep();
        let admin = admin_server().await;
        Arc::new(Self {
            child: Mutex::new(child),
            admin: format!("http://{admin}"),
        })
    }

    /// Whether the process is running (not exited).
    pub fn alive(&self) -> bool {
        self.child
            .lock()
            .unwrap()
            .try_wait()
            .is_ok_and(|s| s.is_none())
    }

    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// The process state letter from /proc (`S` sleeping, `T` stopped).
    pub fn state(&self) -> char {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        stat.rsplit(')')
            .next()
            .and_then(|s| s.trim().chars().next())
            .unwrap_or('?')
    }
}

fn spawn_sleep() -> Child {
    Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn sleep")
}

impl Drop for TestLab {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl LabControl for TestLab {
    fn services(&self) -> Vec<String> {
        vec!["sleeper".into(), "svc".into()]
    }
    fn process(&self, service: &str, action: ProcessAction) -> Result<(), String> {
        if service != "sleeper" {
            return Err(format!("{service} has no process here"));
        }
        let signal = match action {
            ProcessAction::Kill | ProcessAction::Restart => "KILL",
            ProcessAction::Terminate => "TERM",
            ProcessAction::Pause => "STOP",
            ProcessAction::Resume => "CONT",
            ProcessAction::Stop => return Err("stop goes through stop_for".into()),
            ProcessAction::Start => {
                let mut child = self.child.lock().unwrap();
                if child.try_wait().map_err(|e| e.to_string())?.is_some() {
                    *child = spawn_sleep();
                }
                return Ok(());
            }
        };
        let status = Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("kill -s {signal} failed"));
        }
        Ok(())
    }
    /// Kills the process; here the agent's `start` brings it back (a real
    /// supervisor also starts it by itself when `duration` ends).
    fn stop_for(&self, service: &str, _duration: Duration) -> Result<(), String> {
        if service != "sleeper" {
            return Err(format!("{service} has no process here"));
        }
        let mut child = self.child.lock().unwrap();
        child.kill().map_err(|e| e.to_string())?;
        child.wait().map_err(|e| e.to_string())?;
        Ok(())
    }
    fn admin_url(&self, service: &str) -> Option<String> {
        (service == "svc").then(|| self.admin.clone())
    }
}

/// A service's real admin API (the service kit's), keeping in-service
/// faults with their own expiry.
async fn admin_server() -> SocketAddr {
    let deps = chaoslab_resilience::Registry::new(
        chaoslab_resilience::Policy::default(),
        Default::default(),
    )
    .unwrap();
    let ctx = chaoslab_kit::context::ServiceCtx::new("svc", Arc::new(deps), Default::default());
    serve(chaoslab_kit::admin::router(ctx)).await
}

/// An HTTP upstream: answers `ok <traceparent>` on every path.
pub async fn http_upstream() -> SocketAddr {
    let app = axum::Router::new().fallback(|headers: HeaderMap| async move {
        let tp = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string();
        format!("ok {tp}")
    });
    serve(app).await
}

use chaoslab_testkit::serve;
