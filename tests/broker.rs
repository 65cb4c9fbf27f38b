//! The broker as a lab-file entry (`broker = "nats"`): `chaoslab up` starts
//! nats-server as a supervised child with its data under the state dir,
//! its clients reach it through a TCP proxy of the agent, and it is gone
//! within seconds of the supervisor (SIGTERM or SIGKILL). Without
//! nats-server installed, one line says how to install it and the rest of
//! the lab runs. The tests that need nats-server say so when it is missing
//! (and fail under CI, where `.ci/run` installs it).

mod support;

use std::{
    io::{BufRead, BufReader},
    net::TcpStream,
    path::{Path, PathBuf},
    time::Duration,
};
use support::{Lab, broker::nats_installed, eventually};

/// A broker and a plain HTTP command that depends on it.
const LAB: &str = r#"
[services.queue]
broker = "nats"

[services.api]
command = ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
depends_on = [{ name = "queue", proxy = "tcp" }]
"#;

fn write_lab(dir: &Path) -> PathBuf {
    let file = dir.join("broker-lab.toml");
    std::fs::write(&file, LAB).unwrap();
    file
}

fn alive(pid: u32) -> bool {
    // A zombie is gone for every purpose here.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| !r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

fn env_of(pid: u32, var: &str) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    raw.split(|b| *b == 0)
        .filter_map(|kv| std::str::from_utf8(kv).ok())
        .find_map(|kv| kv.strip_prefix(&format!("{var}=")).map(String::from))
}

/// The first line the broker sends on a new connection, through `addr`.
fn greeting(addr: &str) -> Option<String> {
    let s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    Some(line)
}

async fn start(dir: &Path) -> Lab {
    let file = write_lab(dir);
    Lab::start(&["--lab", file.to_str().unwrap()], &[]).await
}

#[tokio::test]
async fn the_broker_runs_behind_a_tcp_proxy_with_its_data_under_the_state_dir() {
    if !nats_installed("broker behind a tcp proxy") {
        return;
    }
    let files = tempfile::tempdir().unwrap();
    let lab = start(files.path()).await;
    let queue = &lab.state["processes"]["queue"];
    let pid = queue["pid"].as_u64().expect("the broker runs") as u32;
    assert!(alive(pid));
    let proxy = queue["proxy_url"].as_str().expect("a proxy in front of it");
    let proxy_addr = proxy.trim_start_matches("http://").to_string();
    // The NATS protocol passes the agent's TCP proxy unchanged.
    let hello = greeting(&proxy_addr).expect("the broker answers through its proxy");
    assert!(hello.starts_with("INFO {"), "{hello}");
    assert!(hello.contains("\"jetstream\":true"), "{hello}");
    // The caller was given the proxy, in the broker's scheme.
    let api = lab.pid_of("api").expect("api runs");
    assert_eq!(
        env_of(api, "CHAOSLAB_DEP_QUEUE").as_deref(),
        Some(format!("nats://{proxy_addr}").as_str())
    );
    // JetStream keeps its data in the lab's state dir.
    let data = lab.state_dir().join("broker/queue");
    eventually("the broker's data dir", Duration::from_secs(5), || {
        let data = data.clone();
        async move { data.join("jetstream").is_dir().then_some(()) }
    })
    .await;
    // It has no Prometheus exposition: not a scrape target (a target that
    // is always down would fail the dashboards' live check).
    assert_eq!(queue["role"], "broker");
    let targets = std::fs::read_to_string(lab.state_dir().join("prometheus-targets.json")).unwrap();
    assert!(
        targets.contains("\"api\"") && !targets.contains("\"queue\""),
        "{targets}"
    );
    // A proxy toxic reaches the broker's connections: the proxy refuses
    // new ones while it is disabled, and the broker is unreachable.
    let (status, body) = lab
        .post_agent("/proxies/queue", serde_json::json!({ "enabled": false }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(greeting(&proxy_addr).is_none_or(|l| !l.starts_with("INFO")));
}

#[tokio::test]
async fn the_broker_is_gone_soon_after_the_supervisor_is_killed() {
    if !nats_installed("broker dies with the lab") {
        return;
    }
    for signal in [
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGKILL,
    ] {
        let files = tempfile::tempdir().unwrap();
        let mut lab = start(files.path()).await;
        let broker = lab.pid_of("queue").expect("the broker runs");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(lab.child_pid() as i32), signal).unwrap();
        let _ = lab.wait_child();
        eventually(
            &format!("the broker gone after {signal} of the supervisor"),
            Duration::from_secs(5),
            || async move { (!alive(broker)).then_some(()) },
        )
        .await;
    }
}

#[tokio::test]
async fn without_nats_server_one_line_says_how_to_install_it_and_the_rest_runs() {
    // PATH without the folder nats-server is in (if it is installed).
    let path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let path: Vec<PathBuf> = path
        .into_iter()
        .filter(|d| !d.join("nats-server").exists())
        .collect();
    let path = std::env::join_paths(path).unwrap();
    let files = tempfile::tempdir().unwrap();
    let file = write_lab(files.path());
    let lab = Lab::start(
        &["--lab", file.to_str().unwrap()],
        &[("PATH", path.to_str().unwrap())],
    )
    .await;
    let err = std::fs::read_to_string(lab.state_dir().join("up.err")).unwrap();
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("nats-server")).collect();
    assert_eq!(
        lines,
        [
            "queue: left out of this lab: nats-server is not installed (install it: apt-get install -y nats-server); the rest runs without it"
        ],
        "{err}"
    );
    assert_eq!(lab.state["processes"]["queue"]["state"], "left out");
    let (status, _) = lab.get_json(&lab.url_of("api")).await;
    assert_eq!(status, 200, "the rest of the lab runs");
}
