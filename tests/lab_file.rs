//! Any lab file works: the worked example under `examples/` (two Python
//! services) gets opposite verdicts from its fragile/resilient pair with
//! JUnit written, experiments are checked against the lab they name, and a
//! lab that cannot start says which service and leaves nothing running.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::{eventually, exe};

fn chaoslab(args: &[&str], cwd: &Path) -> Output {
    Command::new(exe())
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run chaoslab")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Pids of the processes whose working directory is `dir`.
fn processes_in(dir: &Path) -> Vec<u32> {
    let dir = std::fs::canonicalize(dir).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c == dir))
        .collect()
}

#[tokio::test]
async fn the_example_pair_gets_opposite_verdicts_with_junit() {
    let out = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let junit = out.path().join(format!("{name}.xml"));
        let exp = format!("examples/experiments/slow-store-{name}.yaml");
        let o = chaoslab(
            &[
                "run",
                "--lab",
                "examples/lab.toml",
                "--junit",
                junit.to_str().unwrap(),
                &exp,
            ],
            &root(),
        );
        let xml = std::fs::read_to_string(&junit).unwrap_or_default();
        (o, xml)
    };
    let (fragile, fragile_xml) = run("fragile");
    let text = String::from_utf8_lossy(&fragile.stdout);
    assert_eq!(
        fragile.status.code(),
        Some(1),
        "fragile: {text}{}",
        String::from_utf8_lossy(&fragile.stderr)
    );
    assert!(fragile_xml.contains("<failure"), "{fragile_xml}");
    let (resilient, resilient_xml) = run("resilient");
    let text = String::from_utf8_lossy(&resilient.stdout);
    assert_eq!(
        resilient.status.code(),
        Some(0),
        "resilient: {text}{}",
        String::from_utf8_lossy(&resilient.stderr)
    );
    assert!(text.contains("restore settings of api"), "{text}");
    assert!(
        resilient_xml.contains("<testsuite") && !resilient_xml.contains("<failure"),
        "{resilient_xml}"
    );
    // The runs' own labs are gone with them: no example service is left.
    let examples = root().join("examples");
    eventually(
        "the example services to be gone",
        Duration::from_secs(5),
        || {
            let left = processes_in(&examples);
            async move { left.is_empty().then_some(()) }
        },
    )
    .await;
}

#[test]
fn experiments_are_checked_against_the_lab_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("shop-names.yaml");
    std::fs::write(
        &exp,
        "title: t\nsteady_state:\n  probes:\n    - http: { path: /items, tolerance: { status: 200 } }\nmethod:\n  - fault: { kind: latency, target: payments, duration: 1s, params: { latency: 1 } }\n",
    )
    .unwrap();
    let exp = exp.to_str().unwrap();
    let o = chaoslab(
        &["run", "--check", "--lab", "examples/lab.toml", exp],
        &root(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("method[0].fault.target: unknown target `payments`, expected store"),
        "{err}"
    );
    // The same file is fine against the shop, where payments is a proxy.
    let o = chaoslab(&["run", "--check", "--lab", "labs/shop.toml", exp], &root());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A service that answers its port but never its health check, beside one
/// that is healthy: `up` gives up at the deadline naming the first, and the
/// second (and the hub) are stopped.
#[test]
fn a_service_that_never_becomes_healthy_is_named_and_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let server = |status: u16| {
        format!(
            r#"["python3", "-c", "import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n  def do_GET(s):\n    s.send_response({status}); s.end_headers()\nh.HTTPServer(('127.0.0.1', {{port}}), H).serve_forever()"]"#
        )
    };
    let lab = format!(
        "[services.front]\ncommand = {}\nhealth = \"/\"\ndepends_on = [\"back\"]\nready_timeout_ms = 1500\n\n[services.back]\ncommand = {}\nhealth = \"/\"\n",
        server(500),
        server(200)
    );
    std::fs::write(dir.path().join("lab.toml"), lab).unwrap();
    let state = dir.path().join("state");
    let started = std::time::Instant::now();
    let o = chaoslab(
        &[
            "up",
            "--headless",
            "--ephemeral-ports",
            "--lab",
            "lab.toml",
            "--state-dir",
            state.to_str().unwrap(),
        ],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("service front did not become ready within 1.5s"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(processes_in(dir.path()), Vec::<u32>::new(), "left running");
    assert!(
        !state.join("lab.json").exists(),
        "no state file for a lab that did not start"
    );
}

#[test]
fn a_command_that_does_not_exist_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lab.toml"),
        "[services.api]\ncommand = [\"no-such-program-here\", \"--port\", \"{port}\"]\n",
    )
    .unwrap();
    let state = dir.path().join("state");
    let o = chaoslab(
        &[
            "up",
            "--headless",
            "--ephemeral-ports",
            "--lab",
            "lab.toml",
            "--state-dir",
            state.to_str().unwrap(),
        ],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("service api: command `no-such-program-here` not found on PATH"),
        "{err}"
    );
    assert!(!state.join("logs").exists(), "nothing was started");
}

#[test]
fn a_bad_lab_file_is_refused_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lab.toml"),
        "[services.api]\ncommand = [\"./api\"]\ndepends_on = [\"db\"]\n",
    )
    .unwrap();
    let o = chaoslab(&["up", "--headless", "--lab", "lab.toml"], dir.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        err.contains(
            "lab.toml:3:15: services.api.depends_on: unknown service `db`; the lab has: api"
        ),
        "{err}"
    );
}

/// The example lab's own journey is its load: `up` starts the load
/// generator on it, the journey's requests reach the store through the
/// agent's proxy (a latency toxic there shows in the journey's latency), and
/// a proxy that is cut off fails the journey at its step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_lab_carries_its_own_load_through_its_proxies() {
    let lab = support::Lab::start(&["--lab", "examples/lab.toml", "--rate", "20"], &[]).await;
    let loadgen = lab.state["loadgen_url"]
        .as_str()
        .expect("a load generator for a lab that is not the shop")
        .to_string();
    let load = chaoslab_load::LoadClient::new(&loadgen);
    let store_metrics = format!("{}/metrics", lab.url_of("store"));
    eventually(
        "list journeys served by the store",
        Duration::from_secs(15),
        || {
            let (load, http, url) = (load.clone(), lab.http.clone(), store_metrics.clone());
            async move {
                let r = load.report().await.ok()?;
                let list = r.totals.journeys.get("list")?;
                let store = http.get(&url).send().await.ok()?.text().await.ok()?;
                let served = store.lines().any(|l| {
                    l.starts_with("http_server_request_duration_seconds_count")
                        && l.contains("/items")
                        && l.split_whitespace()
                            .last()
                            .and_then(|v| v.parse::<f64>().ok())
                            >= Some(10.0)
                });
                (list.success >= 10 && served).then_some(())
            }
        },
    )
    .await;

    // 400 ms more on the store's proxy: the journey's latency shows it.
    let agent = lab.agent();
    let toxic = lab
        .http
        .post(format!("{agent}/proxies/store/toxics"))
        .json(
            &serde_json::json!({"name": "slow", "type": "latency", "attributes": {"latency": 400}}),
        )
        .send()
        .await
        .unwrap();
    assert!(
        toxic.status().is_success(),
        "{}",
        toxic.text().await.unwrap()
    );
    eventually(
        "the list journey slowed by the proxy",
        Duration::from_secs(15),
        || {
            let load = load.clone();
            async move {
                let r = load.report().await.ok()?;
                let p50 = r.journeys.get("list")?.p50_ms?;
                (p50 >= 380.0).then_some(())
            }
        },
    )
    .await;
    let removed = lab
        .http
        .delete(format!("{agent}/proxies/store/toxics/slow"))
        .send()
        .await
        .unwrap();
    assert!(removed.status().is_success());

    // Cut off: the api answers 502, and the journey fails at its one step.
    let cut = lab
        .http
        .post(format!("{agent}/proxies/store"))
        .json(&serde_json::json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert!(cut.status().is_success(), "{}", cut.text().await.unwrap());
    eventually(
        "list journeys failing at their step",
        Duration::from_secs(15),
        || {
            let load = load.clone();
            async move {
                let r = load.report().await.ok()?;
                let list = r.totals.journeys.get("list")?;
                let failed = list.failed_steps.get("1 GET /items").copied().unwrap_or(0);
                (failed >= 5 && list.outcome("server_error") >= 5).then_some(())
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_files_hub_table_sets_the_hubs_budgets_and_value_cap() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.toml");
    std::fs::write(
        &file,
        r#"
[services.web]
command = ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]

[hub]
trace_bytes = "32MB"
log_bytes = "8MB"
attr_value_max = "16KB"
"#,
    )
    .unwrap();
    let lab = support::Lab::start(&["--lab", file.to_str().unwrap()], &[]).await;
    let hub = lab.state["hub_url"].as_str().expect("hub url").to_string();
    let (status, health) = lab.get_json(&format!("{hub}/api/health")).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["trace_byte_budget"], 32 << 20, "{health}");
    assert_eq!(health["log_byte_budget"], 8 << 20, "{health}");
    assert_eq!(health["attr_value_max"], 16 << 10, "{health}");
}
