//! Helpers for the end-to-end tests: a real lab started with
//! `chaoslab up --headless` on free ports in a temporary state directory,
//! and `eventually`, which waits on a condition with a deadline.
#![allow(dead_code)]

pub mod broker;
pub mod metrics;
pub mod otlp;
pub mod polyglot;

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

#[allow(unused_imports)]
pub use chaoslab_testkit::eventually;

/// A running lab, stopped (SIGTERM, then waited for) when dropped.
pub struct Lab {
    child: Child,
    pub dir: tempfile::TempDir,
    pub state: Value,
    pub http: reqwest::Client,
}

pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chaoslab"))
}

/// Where the environments of the services with a set-up step are (the
/// Python venv): `$CHAOSLAB_ENVS`, else `target/envs`, as `.ci/envs.sh`
/// makes them. Every lab a test starts uses them, so none makes its own.
pub fn envs() -> PathBuf {
    std::env::var_os("CHAOSLAB_ENVS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/envs"))
}

/// `argv` started by a shell that names itself in `CHAOSLAB_PARENT_PID`, as
/// a supervisor names itself to its children, so a test can kill that
/// parent outright. The program's output goes to `out`; `env` is added to
/// its environment. Returns the shell and the program's pid.
pub fn with_shell_parent(
    argv: &[std::ffi::OsString],
    env: &[(&str, &std::ffi::OsStr)],
    out: &Path,
) -> (Child, u32) {
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(r#"export CHAOSLAB_PARENT_PID=$$; "$@" >"$OUT" 2>&1 & echo $!; wait"#)
        .arg("sh")
        .args(argv)
        .env("OUT", out)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(parent.stdout.take().expect("piped")),
        &mut line,
    )
    .expect("the shell says the pid");
    let pid = line.trim().parse().expect("a pid");
    (parent, pid)
}

impl Lab {
    /// Starts a lab with `extra` arguments and `env`, and waits until it is ready.
    pub async fn start(extra: &[&str], env: &[(&str, &str)]) -> Lab {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(exe());
        cmd.args(["up", "--headless", "--ephemeral-ports", "--state-dir"])
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                std::fs::File::create(dir.path().join("up.out")).unwrap(),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("up.err")).unwrap(),
            ));
        cmd.env("CHAOSLAB_ENVS", envs());
        // A killed test run takes its labs with it.
        cmd.env("CHAOSLAB_PARENT_PID", std::process::id().to_string());
        if !extra.contains(&"--rate") {
            cmd.args(["--rate", "0"]);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn chaoslab up");
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut lab = Lab {
            child,
            dir,
            state: Value::Null,
            http,
        };
        let out = lab.dir.path().join("up.out");
        let err = lab.dir.path().join("up.err");
        let ready = eventually("lab ready", Duration::from_secs(30), || {
            let out = out.clone();
            async move {
                std::fs::read_to_string(&out)
                    .ok()
                    .filter(|s| s.contains("lab ready"))
            }
        });
        let exited = lab.child.try_wait().ok().flatten();
        assert!(
            exited.is_none(),
            "chaoslab up exited: {}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        ready.await;
        lab.state = serde_json::from_str(
            &std::fs::read_to_string(lab.dir.path().join("lab.json")).unwrap(),
        )
        .unwrap();
        lab
    }

    /// The supervisor's pid.
    pub fn child_pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the supervisor to exit (after a signal the test sent).
    pub fn wait_child(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait()
    }

    pub fn state_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn gateway(&self) -> String {
        self.state["entry_url"].as_str().unwrap().to_string()
    }

    pub fn url_of(&self, process: &str) -> String {
        self.state["processes"][process]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("no process {process}"))
            .to_string()
    }

    pub fn agent(&self) -> String {
        self.state["agent_url"]
            .as_str()
            .expect("agent url")
            .to_string()
    }

    /// The current state file (pids and restarts change).
    pub fn reload(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.path().join("lab.json")).unwrap())
            .unwrap()
    }

    pub fn pid_of(&self, process: &str) -> Option<u32> {
        self.reload()["processes"][process]["pid"]
            .as_u64()
            .map(|p| p as u32)
    }

    /// Logs in as Alice and returns the bearer token.
    pub async fn login(&self) -> String {
        let r = self
            .http
            .post(format!("{}/api/login", self.gateway()))
            .json(&serde_json::json!({"email": "alice@example.com", "password": "alice"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// POST /api/checkout; returns (status, body).
    pub async fn checkout(&self, token: &str, key: Option<&str>, items: Value) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/api/checkout", self.gateway()))
            .bearer_auth(token)
            .json(&serde_json::json!({ "items": items }));
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// The stock of `product` as inventory reports it.
    pub async fn stock(&self, product: u64) -> u64 {
        let v: Value = self
            .http
            .get(format!("{}/stock/{product}", self.url_of("inventory")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["available"].as_u64().unwrap()
    }

    /// Charges payments booked for `order_id`.
    pub async fn charges(&self, order_id: &str) -> Vec<Value> {
        let v: Value = self
            .http
            .get(format!(
                "{}/charges?order_id={order_id}",
                self.url_of("payments")
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().cloned().unwrap_or_default()
    }

    pub async fn login_as(&self, email: &str, password: &str) -> String {
        let r = self
            .http
            .post(format!("{}/api/login", self.gateway()))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn get_json_auth(&self, url: &str, token: &str) -> (u16, Value) {
        let r = self.http.get(url).bearer_auth(token).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// POSTs `body` to the agent's `path`: the status and the JSON answer.
    #[allow(dead_code)]
    /// `process`'s Prometheus exposition text.
    pub async fn metrics_text(&self, process: &str) -> String {
        self.http
            .get(format!("{}/metrics", self.url_of(process)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    #[allow(dead_code)]
    /// SIGKILLs `process` and waits until the supervisor has restarted it:
    /// the old pid and the new one.
    pub async fn crash(&self, process: &str) -> (u32, u32) {
        let pid = self
            .pid_of(process)
            .unwrap_or_else(|| panic!("{process} pid"));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let new_pid = eventually(
            &format!("{process} restarted"),
            Duration::from_secs(10),
            || async {
                let s = self.reload();
                let p = &s["processes"][process];
                (p["restarts"].as_u64() >= Some(1)
                    && p["pid"].as_u64().is_some_and(|n| n as u32 != pid))
                .then(|| p["pid"].as_u64().unwrap() as u32)
            },
        )
        .await;
        (pid, new_pid)
    }

    /// Stops `process` through the agent for `duration_ms`, and waits until
    /// it is gone.
    pub async fn stop_process(&self, process: &str, duration_ms: u64) {
        let (status, fault) = self
            .post_agent(
                &format!("/chaos/process/{process}"),
                serde_json::json!({ "action": "stop", "duration_ms": duration_ms }),
            )
            .await;
        assert_eq!(status, 201, "{fault}");
        eventually(
            &format!("{process} down"),
            Duration::from_secs(5),
            || async { self.pid_of(process).is_none().then_some(()) },
        )
        .await;
    }

    pub async fn post_agent(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.agent()))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, url: &str) -> (u16, Value) {
        let r = self.http.get(url).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        chaoslab_testkit::process::stop(&mut self.child, Duration::from_secs(10));
    }
}
