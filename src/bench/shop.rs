//! Shop benchmarks on real labs (each a `chaoslab up` child process):
//! start-up time, gateway throughput with telemetry on vs off (rounds of
//! every mode in rotating order, each mode compared with telemetry off in
//! its own round, medians kept, so machine noise hits both), and each
//! service's memory idle and under load.

use super::{list, median};
use serde_json::Value;
use std::{
    fmt::Write as _,
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Where every lab of this bench run makes its environments (a venv, node
/// modules), unless `CHAOSLAB_ENVS` says: made once, not once per lab.
static SHARED_ENVS: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Makes [`SHARED_ENVS`] for this run (when `CHAOSLAB_ENVS` is unset); the
/// directory goes when the returned guard drops.
pub(crate) fn share_envs() -> anyhow::Result<Option<tempfile::TempDir>> {
    if std::env::var_os("CHAOSLAB_ENVS").is_some() {
        return Ok(None);
    }
    let dir = tempfile::tempdir()?;
    let _ = SHARED_ENVS.set(dir.path().to_path_buf());
    Ok(Some(dir))
}

fn shared_envs() -> Option<&'static Path> {
    SHARED_ENVS.get().map(|p| p.as_path())
}

/// A lab started by the bench; stopped on drop.
pub(crate) struct BenchLab {
    child: Child,
    dir: tempfile::TempDir,
    pub(crate) state: Value,
    pub(crate) ready_ms: u128,
}

impl BenchLab {
    pub(crate) fn start(rate: f64, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with(rate, env, &[])
    }

    /// With more arguments for `chaoslab up` (`--lab FILE`).
    pub(crate) fn start_with(
        rate: f64,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let started = Instant::now();
        let mut child = Command::new(std::env::current_exe()?)
            .args([
                "up",
                "--headless",
                "--ephemeral-ports",
                "--rate",
                &rate.to_string(),
                "--state-dir",
            ])
            .arg(dir.path())
            .args(args)
            // The lab stops itself if this bench dies without dropping it.
            .env("CHAOSLAB_PARENT_PID", std::process::id().to_string())
            .envs(shared_envs().map(|d| ("CHAOSLAB_ENVS", d)))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let out = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut lines = BufReader::new(out).lines();
        let ready_ms = loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("lab ready") => break started.elapsed().as_millis(),
                Some(Ok(_)) => continue,
                _ => anyhow::bail!(
                    "the lab did not start; see {}",
                    dir.path().join("logs").display()
                ),
            }
        };
        // Keep draining stdout so the lab never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let state: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("lab.json"))?)?;
        Ok(Self {
            child,
            dir,
            state,
            ready_ms,
        })
    }

    pub(crate) fn entry_url(&self) -> String {
        self.state["entry_url"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Every process of the lab with its pid: the supervisor (which runs
    /// the agent) and each child (services, hub, load generator, broker).
    pub(super) fn process_pids(&self) -> Vec<(String, u32)> {
        let mut out = vec![("supervisor + agent".to_string(), self.child.id())];
        if let Some(map) = self.state["processes"].as_object() {
            for (name, p) in map {
                if let Some(pid) = p["pid"].as_u64() {
                    out.push((name.clone(), pid as u32));
                }
            }
        }
        out
    }

    pub(super) fn service_pids(&self) -> Vec<(String, u32)> {
        let state: Value = std::fs::read_to_string(self.dir.path().join("lab.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| self.state.clone());
        let mut out = Vec::new();
        if let Some(map) = state["processes"].as_object() {
            for (name, p) in map {
                if p["role"] == "service"
                    && let Some(pid) = p["pid"].as_u64()
                {
                    out.push((name.clone(), pid as u32));
                }
            }
        }
        out
    }
}

impl Drop for BenchLab {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}

/// CPU time `pid`'s threads have run, from each one's
/// `/proc/PID/task/TID/schedstat` (nanoseconds on a CPU).
fn process_cpu(pid: u32) -> Option<Duration> {
    let mut total = Duration::ZERO;
    for e in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let s = std::fs::read_to_string(e.path().join("schedstat")).unwrap_or_default();
        if let Some(ns) = s
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
        {
            total += Duration::from_nanos(ns);
        }
    }
    Some(total)
}

/// Resident memory of `pid` in MiB, from /proc.
pub(super) fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(Path::new(&format!("/proc/{pid}/status"))).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Time from `chaoslab up --headless` to every process ready, five times.
pub async fn startup() -> anyhow::Result<String> {
    // One start, not counted, makes the environments the others reuse.
    drop(tokio::task::spawn_blocking(|| BenchLab::start(0.0, &[])).await??);
    let mut times = Vec::new();
    for _ in 0..5 {
        let lab = tokio::task::spawn_blocking(|| BenchLab::start(0.0, &[])).await??;
        times.push(lab.ready_ms);
        drop(lab);
    }
    times.sort();
    let mut s = String::from(
        "startup: `chaoslab up --headless` to all processes ready (8 services, hub, agent; environments already made)\n",
    );
    writeln!(s, "| runs | min ms | median ms | max ms | target |")?;
    writeln!(s, "|---|---|---|---|---|")?;
    writeln!(
        s,
        "| {} | {} | {} | {} | < 2000 |",
        times.len(),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    )?;
    Ok(s)
}

/// Closed-loop GET /api/products with `conns` workers for `secs`; requests/s.
async fn drive(gateway: &str, conns: usize, secs: u64) -> anyhow::Result<f64> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(conns)
        .build()?;
    let url = format!("{gateway}/api/products");
    // Warm up connections and caches.
    for _ in 0..50 {
        http.get(&url).send().await?.bytes().await?;
    }
    let ok = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (http, url, ok) = (http.clone(), url.clone(), ok.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                if let Ok(r) = http.get(&url).send().await
                    && r.status().is_success()
                    && r.bytes().await.is_ok()
                {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    for t in tasks {
        let _ = t.await;
    }
    Ok(ok.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Gateway throughput instrumented vs bare, and service memory.
pub async fn throughput(secs: u64) -> anyhow::Result<String> {
    /// Rounds of every mode; this many because one round on a shared
    /// 2-core machine can be half as fast as the next.
    const ROUNDS: usize = 4;
    let secs = secs.max(2);
    let conns = 16;
    // Every span of every request exported to the hub; one in ten traces
    // kept (the standard sampler variables); metrics only; no telemetry at all.
    const MODES: [(&str, &[(&str, &str)]); 4] = [
        ("on: every trace to the hub, metrics", &[]),
        (
            "on: 10% of traces sampled, metrics",
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            ],
        ),
        (
            "on: metrics only (OTEL_SDK_DISABLED=true)",
            &[("OTEL_SDK_DISABLED", "true")],
        ),
        (
            "off (CHAOSLAB_TELEMETRY=off)",
            &[("CHAOSLAB_TELEMETRY", "off")],
        ),
    ];
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    // Per mode, per process: CPU µs per answered request, each round.
    let mut cpu: Vec<std::collections::BTreeMap<String, Vec<f64>>> =
        vec![Default::default(); MODES.len()];
    let mut idle = Vec::new();
    for round in 0..ROUNDS {
        // Each round starts one mode later, so no mode always runs first
        // (or right after the same neighbour).
        for k in 0..MODES.len() {
            let i = (round + k) % MODES.len();
            let env: &'static [(&str, &str)] = MODES[i].1;
            let lab = tokio::task::spawn_blocking(move || BenchLab::start(0.0, env)).await??;
            if idle.is_empty() && i == 0 {
                idle = lab
                    .service_pids()
                    .into_iter()
                    .map(|(n, p)| (n, rss_mib(p).unwrap_or(0.0)))
                    .collect();
            }
            let pids = lab.process_pids();
            let before: Vec<Option<Duration>> = pids.iter().map(|(_, p)| process_cpu(*p)).collect();
            let rate = drive(&lab.entry_url(), conns, secs).await?;
            let requests = (rate * secs as f64).max(1.0);
            for ((name, pid), b) in pids.iter().zip(before) {
                if let (Some(b), Some(a)) = (b, process_cpu(*pid)) {
                    let us = a.saturating_sub(b).as_secs_f64() * 1e6 / requests;
                    cpu[i].entry(name.clone()).or_default().push(us);
                }
            }
            results[i].push(rate);
            drop(lab);
        }
    }
    // Each mode against telemetry off in the same round (seconds apart, so
    // a machine that slows down moves both), then the median.
    let off = &results[MODES.len() - 1];
    let vs_off: Vec<Vec<f64>> = results
        .iter()
        .map(|r| r.iter().zip(off).map(|(m, o)| m / o.max(1e-9)).collect())
        .collect();

    // Memory under an open-model load of 200 journeys/s from the lab's own generator.
    let lab = tokio::task::spawn_blocking(|| BenchLab::start(200.0, &[])).await??;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let loaded: Vec<(String, f64)> = lab
        .service_pids()
        .into_iter()
        .map(|(n, p)| (n, rss_mib(p).unwrap_or(0.0)))
        .collect();
    let load_report = match lab.state["loadgen_url"].as_str() {
        Some(u) => chaoslab_contract::client::LoadClient::new(u)
            .report()
            .await
            .ok(),
        None => None,
    };
    drop(lab);

    let mut s = format!(
        "gateway GET /api/products, {conns} connections, {secs} s a round, {ROUNDS} rounds, modes in rotating order\n"
    );
    writeln!(
        s,
        "| telemetry | rounds req/s | median req/s | vs off, each round | vs off, median (target >= 0.85) |"
    )?;
    writeln!(s, "|---|---|---|---|---|")?;
    for (((name, _), r), ratios) in MODES.iter().zip(&results).zip(&vs_off) {
        writeln!(
            s,
            "| {name} | {} | {:.0} | {} | {:.2} |",
            list(r, 0),
            median(r),
            list(ratios, 2),
            median(ratios)
        )?;
    }
    writeln!(s)?;
    // Where the CPU goes: each process's CPU time per answered request,
    // median of the rounds, only the processes that did work; "all" is the
    // sum of those medians.
    let busy: Vec<&String> = cpu[0]
        .iter()
        .filter(|(_, v)| median(v) >= 1.0)
        .map(|(n, _)| n)
        .collect();
    writeln!(
        s,
        "CPU µs per request, by process (schedstat; the driver's own CPU not counted)"
    )?;
    let header: Vec<&str> = busy.iter().map(|n| n.as_str()).collect();
    writeln!(s, "| telemetry | {} | all |", header.join(" | "))?;
    writeln!(s, "|---|{}---|", "---|".repeat(busy.len()))?;
    for ((name, _), per) in MODES.iter().zip(&cpu) {
        let cells: Vec<f64> = busy
            .iter()
            .map(|n| per.get(*n).map_or(0.0, |v| median(v)))
            .collect();
        let all: f64 = per.values().map(|v| median(v)).sum();
        let cells: Vec<String> = cells.iter().map(|c| format!("{c:.0}")).collect();
        writeln!(s, "| {name} | {} | {all:.0} |", cells.join(" | "))?;
    }
    writeln!(s)?;
    writeln!(
        s,
        "service memory (RSS MiB): idle, and after {secs} s at 200 journeys/s (target < 20 for the Rust services)"
    )?;
    writeln!(s, "| service | idle | at 200/s |")?;
    writeln!(s, "|---|---|---|")?;
    for (name, idle_mb) in &idle {
        let at = loaded
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| *m)
            .unwrap_or(0.0);
        writeln!(s, "| {name} | {idle_mb:.1} | {at:.1} |")?;
    }
    if let Some(r) = load_report {
        let totals = serde_json::to_value(&r.totals)?;
        writeln!(s, "\nload generator during the memory run: {totals}")?;
    }
    Ok(s)
}
