//! Any OTLP sender shows up with no configuration: the official Python,
//! Node.js and Rust SDKs send traces, metrics and logs to a real `chaoslab
//! watch --headless`; each appears in `/api/services` with RED numbers, the
//! Python → Node call is an edge from the span pair, their logs are kept
//! with trace ids, a trace crossing both languages shows both SDKs in its
//! spans' resources, and the dashboard draws it all with no shop names.
//!
//! The senders' environments come from committed lock files
//! (`tests/otlp/python/requirements.txt` with hashes,
//! `tests/otlp/node/package-lock.json`), installed by `.ci/run`. Without
//! them the test says it was skipped (and fails under CI, where they must
//! be there).

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{eventually, exe};

/// Seconds the hub may take, after a sender has flushed, to show it.
const SHOW_WITHIN: Duration = Duration::from_secs(2);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        chaoslab_testkit::process::stop(&mut self.0, Duration::from_secs(5));
    }
}

/// The senders, or `None` after a SKIPPED line; under CI a missing sender
/// fails the test (`.ci/run` installs them).
fn installed<T>(test: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(t) => Some(t),
        Err(why) => {
            eprintln!("SKIPPED {test}: the OTLP senders are not installed: {why}");
            assert!(
                std::env::var_os("CI").is_none(),
                "under CI the senders must be installed by .ci/run: {why}"
            );
            None
        }
    }
}

/// `chaoslab watch --headless` on free ports: the process (stopped when
/// dropped) and its API, OTLP/gRPC and OTLP/HTTP addresses.
fn start_watch() -> (Killed, String, String, String) {
    let mut watch = Command::new(exe())
        .args(["watch", "--headless", "--ephemeral-ports"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start chaoslab watch");
    let (api, grpc, http) = read_until(&mut watch, addresses);
    (Killed(watch), api, grpc, http)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with the sender's packages, and the Node sender's folder, or
/// why they are missing.
fn senders() -> Result<(PathBuf, PathBuf), String> {
    let python = python_sender()?;
    let node = root().join("tests/otlp/node");
    if !node
        .join("node_modules/@opentelemetry/sdk-trace-base")
        .exists()
    {
        return Err(format!(
            "{}/node_modules is missing (cd tests/otlp/node && npm ci)",
            node.display()
        ));
    }
    Ok((python, node))
}

/// The Python with the sender's packages, or why it is missing.
fn python_sender() -> Result<PathBuf, String> {
    let python = std::env::var_os("CHAOSLAB_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/otlp/python/.venv/bin/python"));
    if !python.exists() {
        return Err(format!(
            "{} is missing (python3 -m venv tests/otlp/python/.venv && \
             tests/otlp/python/.venv/bin/pip install --require-hashes -r tests/otlp/python/requirements.txt)",
            python.display()
        ));
    }
    Ok(python)
}

/// Reads lines from a child's stdout until `pick` finds what it wants.
fn read_until<T>(child: &mut Child, mut pick: impl FnMut(&str) -> Option<T>) -> T {
    let out = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(out).lines();
    loop {
        let line = lines
            .next()
            .expect("the process ended before saying where it listens")
            .expect("readable stdout");
        if let Some(v) = pick(&line) {
            // Keep draining so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return v;
        }
    }
}

/// `hub API on http://A, OTLP gRPC on B, OTLP HTTP on http://C` → (A, B, C).
fn addresses(line: &str) -> Option<(String, String, String)> {
    let rest = line.strip_prefix("hub API on http://")?;
    let (api, rest) = rest.split_once(", OTLP gRPC on ")?;
    let (grpc, http) = rest.split_once(", OTLP HTTP on http://")?;
    Some((api.to_string(), grpc.to_string(), http.to_string()))
}

async fn get(url: &str) -> Option<Value> {
    reqwest::get(url).await.ok()?.json().await.ok()
}

fn snapshot(api: &str, screen: &str) -> String {
    let out = Command::new(exe())
        .args([
            "tui",
            "--hub",
            &format!("http://{api}"),
            "--snapshot",
            "--screen",
            screen,
        ])
        .args(["--size", "140x40"])
        .output()
        .expect("run chaoslab tui");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_node_sdks_appear_with_red_edges_logs_and_their_languages() {
    let Some((python, node_dir)) = installed("python_and_node_sdks_...", senders()) else {
        return;
    };
    let (_watch, api, grpc, http) = start_watch();

    let mut node = Command::new("node")
        .arg("send.js")
        .current_dir(&node_dir)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{http}"))
        .env("OTEL_SERVICE_NAME", "stock-node")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the Node sender");
    let port: u16 = read_until(&mut node, |l| {
        l.strip_prefix("listening ")?.trim().parse().ok()
    });
    let node = Killed(node);

    let py = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(root().join("tests/otlp/python/send.py"))
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{grpc}"))
            .env("OTEL_SERVICE_NAME", "checkout-py")
            .env("NODE_URL", format!("http://127.0.0.1:{port}"))
            .env("REQUESTS", "40")
            .output()
            .expect("run the Python sender")
    })
    .await
    .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    // The Node sender flushes on SIGTERM, as a service does when stopped.
    drop(node);
    let flushed = Instant::now();

    let services = format!("http://{api}/api/services");
    let listed = eventually("both senders with RED numbers", SHOW_WITHIN, || async {
        let v = get(&services).await?;
        let find = |n: &str| {
            v["services"]
                .as_array()?
                .iter()
                .find(|s| s["name"] == n && s["stats"]["rate"].as_f64() > Some(0.0))
                .cloned()
        };
        let py = find("checkout-py")?;
        // Its numbers come from its OTLP metrics once they are in (from its
        // spans until then).
        (py["source"] == "otlp_metrics").then_some(())?;
        Some((py, find("stock-node")?))
    })
    .await;
    eprintln!(
        "both senders listed {:?} after the last flush",
        flushed.elapsed()
    );
    let (py_svc, node_svc) = listed;
    assert_eq!(py_svc["sdk_language"], "python", "{py_svc}");
    assert_eq!(node_svc["sdk_language"], "nodejs", "{node_svc}");
    // One in five checkouts fails; the numbers come from the OTLP metrics.
    let ratio = py_svc["stats"]["error_ratio"].as_f64().unwrap();
    assert!((0.1..=0.3).contains(&ratio), "{py_svc}");
    assert!(py_svc["stats"]["p99_ms"].as_f64().is_some(), "{py_svc}");
    let routes: Vec<&str> = py_svc["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["route"].as_str())
        .collect();
    assert_eq!(routes, ["/checkout"], "{py_svc}");

    // The call is an edge, from the client/server span pair.
    let edges = format!("http://{api}/api/edges");
    let edge = eventually("the checkout-py → stock-node edge", SHOW_WITHIN, || async {
        let v = get(&edges).await?;
        v["edges"]
            .as_array()?
            .iter()
            .find(|e| e["from"] == "checkout-py" && e["to"] == "stock-node")
            .cloned()
    })
    .await;
    assert_eq!(edge["source"], "spans", "{edge}");
    assert!(
        edge["stats"]["error_ratio"].as_f64().unwrap() > 0.0,
        "{edge}"
    );
    // The Python client metric names a host, not a service: no edge to it.
    let v = get(&edges).await.unwrap();
    assert!(
        !v["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["to"] == "127.0.0.1"),
        "{v}"
    );

    // Logs of both, with their trace ids; the level filter works.
    let logs = format!("http://{api}/api/logs?service=checkout-py&level=error");
    let errors = eventually("the Python sender's error logs", SHOW_WITHIN, || async {
        let v = get(&logs).await?;
        (v["logs"].as_array()?.len() == 8).then_some(v)
    })
    .await;
    let first = &errors["logs"][0];
    assert!(
        first["body"].as_str().unwrap().contains("payment declined"),
        "{first}"
    );
    assert_eq!(first["level"], "ERROR");
    let trace_id = first["trace_id"].as_str().expect("a trace id").to_string();
    let node_logs = format!("http://{api}/api/logs?service=stock-node&trace_id={trace_id}");
    eventually(
        "the Node sender's log line in the same trace",
        SHOW_WITHIN,
        || async {
            let v = get(&node_logs).await?;
            (v["logs"].as_array()?.len() == 1).then_some(())
        },
    )
    .await;

    // That trace crosses both languages, and each span says which SDK.
    let trace = get(&format!("http://{api}/api/traces/{trace_id}"))
        .await
        .unwrap();
    let mut langs: Vec<&str> = trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["resource"]["telemetry.sdk.language"].as_str())
        .collect();
    langs.sort();
    langs.dedup();
    assert_eq!(langs, ["nodejs", "python"], "{trace}");
    assert_eq!(
        trace["summary"]["has_fault"], false,
        "no fault was injected"
    );

    // Bad filters say what is wrong.
    let bad = reqwest::get(format!("http://{api}/api/logs?level=loud"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("level"), "{body}");

    // The dashboard draws what the hub found, and nothing built in.
    let overview = snapshot(&api, "overview");
    for name in ["checkout-py", "stock-node"] {
        assert!(overview.contains(name), "{overview}");
    }
    for shop in ["gateway", "catalog", "inventory", "payments"] {
        assert!(!overview.contains(shop), "{overview}");
    }
    let traces = snapshot(&api, "traces");
    assert!(traces.contains("checkout-py: GET /checkout"), "{traces}");
    let logs_screen = snapshot(&api, "logs");
    assert!(logs_screen.contains("payment declined"), "{logs_screen}");
    assert!(logs_screen.contains("node answered"), "{logs_screen}");
}

/// The shop's service names, from its lab file (the one place they are).
fn shop_names() -> Vec<String> {
    let lab = chaoslab_contract::Lab::load(&root().join("labs/shop.toml")).expect("the shop file");
    lab.service_names()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Lines of a snapshot that name one of `names` as a word. The load
/// generator's panel speaks of the people it plays ("what users see",
/// "users: load generator not running"): that word is no service there.
fn naming<'a>(text: &'a str, names: &[String]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.contains("users see") && !l.contains("users: load generator"))
        .filter(|l| {
            l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .any(|w| names.iter().any(|n| n == w))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_fed_only_by_a_python_app_shows_that_app_and_no_shop_names() {
    let Some(python) = installed("a_watch_fed_only_by_a_python_app_...", python_sender()) else {
        return;
    };
    let (_watch, api, grpc, _) = start_watch();
    let py = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(root().join("tests/otlp/python/send.py"))
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{grpc}"))
            .env("OTEL_SERVICE_NAME", "ledger-py")
            .env("REQUESTS", "30")
            .output()
            .expect("run the Python sender")
    })
    .await
    .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let services = format!("http://{api}/api/services");
    let listed = eventually("the Python app with RED numbers", SHOW_WITHIN, || async {
        let v = get(&services).await?;
        let names: Vec<String> = v["services"]
            .as_array()?
            .iter()
            .filter_map(|s| Some(s["name"].as_str()?.to_string()))
            .collect();
        let rate = v["services"][0]["stats"]["rate"].as_f64()?;
        (names == ["ledger-py"] && rate > 0.0).then_some(v)
    })
    .await;
    let shop = shop_names();
    assert!(shop.len() >= 6, "{shop:?}");
    let overview = snapshot(&api, "overview");
    let row = overview
        .lines()
        .find(|l| l.contains("● ledger-py") && l.contains('%') && l.contains("ms"))
        .unwrap_or_else(|| panic!("no RED row for ledger-py:\n{overview}\n{listed}"));
    // One in five of the sender's checkouts fails.
    assert!(row.contains("20.0%"), "{row}");
    for screen in ["overview", "service", "traces", "logs", "chaos"] {
        let text = if screen == "overview" {
            overview.clone()
        } else {
            snapshot(&api, screen)
        };
        assert!(
            naming(&text, &shop).is_empty(),
            "{screen} names a shop service: {:?}\n{text}",
            naming(&text, &shop)
        );
    }
    let service = snapshot(&api, "service");
    assert!(service.contains("ledger-py"), "{service}");
    assert!(service.contains("/checkout"), "its route: {service}");
}

/// A built-in service of this repository as an outside OTLP sender: the
/// Rust SDK set-up every Rust service here shares, renamed by
/// `OTEL_SERVICE_NAME`, exporting to a bare `chaoslab watch`. The process
/// (stopped, and so flushed, when dropped) and its address.
fn rust_sender(name: &str, builtin: &str, grpc: &str, deps: &[(&str, &str)]) -> (Killed, String) {
    let mut cmd = Command::new(exe());
    cmd.args(["service", builtin, "--listen", "127.0.0.1:0", "--lab"])
        .arg(root().join("labs/shop.toml"));
    for (dep, url) in deps {
        cmd.args(["--dep", &format!("{dep}={url}")]);
    }
    let mut child = cmd
        .env("OTEL_SERVICE_NAME", name)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{grpc}"))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .env("CHAOSLAB_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a built-in service");
    let err = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(err).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the service ended before saying where it listens")
            .expect("readable stderr");
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if let Some(a) = v["fields"]["addr"].as_str() {
            break a.to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (Killed(child), addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_appears_with_red_numbers_an_edge_and_logs() {
    let (_watch, api, grpc, _) = start_watch();
    let (stock, stock_addr) = rust_sender("stock-rs", "inventory", &grpc, &[]);
    let stock_url = format!("http://{stock_addr}");
    let (catalog, catalog_addr) =
        rust_sender("catalog-rs", "catalog", &grpc, &[("inventory", &stock_url)]);
    let http = reqwest::Client::new();
    for i in 0..30 {
        // One in three asks for a product that does not exist (a 404 is
        // an answer, not an error) ...
        let id = if i % 3 == 0 { 999_999 } else { 1 + i % 5 };
        let r = http
            .get(format!("http://{catalog_addr}/products/{id}"))
            .send()
            .await
            .expect("the catalog answers");
        assert!(r.status() == 200 || r.status() == 404, "{}", r.status());
    }
    // ... and the stock service going away makes the catalog log its
    // fallback: a log line in a trace.
    drop(stock);
    for _ in 0..3 {
        let r = http
            .get(format!("http://{catalog_addr}/products/1"))
            .send()
            .await
            .expect("the catalog answers without its stock");
        assert_eq!(r.status(), 200);
    }
    drop(catalog);
    let flushed = Instant::now();

    let services = format!("http://{api}/api/services");
    let (cat, stock) = eventually(
        "both Rust senders with RED numbers",
        SHOW_WITHIN,
        || async {
            let v = get(&services).await?;
            let find = |n: &str| {
                v["services"]
                    .as_array()?
                    .iter()
                    .find(|s| s["name"] == n && s["stats"]["rate"].as_f64() > Some(0.0))
                    .cloned()
            };
            Some((find("catalog-rs")?, find("stock-rs")?))
        },
    )
    .await;
    eprintln!("both listed {:?} after the last flush", flushed.elapsed());
    for svc in [&cat, &stock] {
        assert_eq!(svc["sdk_language"], "rust", "{svc}");
        assert!(svc["stats"]["p99_ms"].as_f64().is_some(), "{svc}");
    }
    let routes: Vec<&str> = cat["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["route"].as_str())
        .collect();
    assert!(routes.contains(&"/products/{id}"), "{cat}");

    let edges = format!("http://{api}/api/edges");
    eventually("the catalog-rs → stock-rs edge", SHOW_WITHIN, || async {
        let v = get(&edges).await?;
        v["edges"]
            .as_array()?
            .iter()
            .find(|e| e["from"] == "catalog-rs" && e["to"] == "stock-rs")
            .cloned()
    })
    .await;

    let logs = format!("http://{api}/api/logs?service=catalog-rs&q=without%20stock");
    let fallback = eventually("the catalog's fallback log lines", SHOW_WITHIN, || async {
        let v = get(&logs).await?;
        (v["logs"].as_array()?.len() >= 3).then_some(v)
    })
    .await;
    for line in fallback["logs"].as_array().unwrap() {
        assert!(
            line["body"].as_str().unwrap().contains("without stock"),
            "the text filter keeps only those: {fallback}"
        );
        assert!(
            line["trace_id"].as_str().is_some(),
            "a log line in a request carries its trace id: {fallback}"
        );
    }

    let overview = snapshot(&api, "overview");
    for name in ["catalog-rs", "stock-rs"] {
        assert!(overview.contains(name), "{overview}");
    }
    let traces = snapshot(&api, "traces");
    assert!(
        traces.contains("catalog-rs: GET /products/{id}"),
        "{traces}"
    );
    // The dashboard's own fetch may be slow on a loaded machine: the
    // screen is drawn again until it shows the lines (or the deadline).
    eventually(
        "the fallback lines on the Logs screen",
        Duration::from_secs(10),
        || async {
            snapshot(&api, "logs")
                .contains("without stock")
                .then_some(())
        },
    )
    .await;
}
