//! Benchmarks of the services in other languages, on real labs: the lab's
//! start to all ready on a first run (the set-up step makes the Python venv)
//! and on later runs (environments reused), how long each set-up step takes
//! from nothing, and the gateway's product page with and without the hop to
//! the Python recommendations service (a lab file without it: the page
//! then skips the call).
//!
//! Service memory (RSS) idle and under load is the `shop` benchmark's table,
//! which lists every service of the lab, these two included.

use super::shop::BenchLab;
use crate::lab::prepare;
use chaoslab_contract::Prepare;
use std::{
    fmt::Write as _,
    path::Path,
    time::{Duration, Instant},
};

/// Every row of the benchmark, as tables.
pub async fn polyglot(secs: u64) -> anyhow::Result<String> {
    let mut s = String::new();
    s.push_str(&startup().await?);
    s.push('\n');
    s.push_str(&product_page(secs.max(2)).await?);
    Ok(s)
}

/// First run (a fresh venv) and later runs of `chaoslab up` to all ready,
/// and each set-up step alone from nothing.
async fn startup() -> anyhow::Result<String> {
    let fresh = tempfile::tempdir()?;
    let envs = fresh.path().display().to_string();
    let first = tokio::task::spawn_blocking(move || {
        BenchLab::start(0.0, &[("CHAOSLAB_ENVS", envs.as_str())]).map(|l| l.ready_ms)
    })
    .await??;
    let mut later = Vec::new();
    for _ in 0..5 {
        let envs = fresh.path().display().to_string();
        later.push(
            tokio::task::spawn_blocking(move || {
                BenchLab::start(0.0, &[("CHAOSLAB_ENVS", envs.as_str())]).map(|l| l.ready_ms)
            })
            .await??,
        );
    }
    later.sort();
    // npm ci from nothing, in a copy of the shipping service's manifests.
    let npm = tempfile::tempdir()?;
    let shipping = Path::new("services/shipping");
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(shipping.join(f), npm.path().join(f))?;
    }
    let lock = npm.path().join("package-lock.json");
    let locks = npm.path().to_path_buf();
    let started = Instant::now();
    let npm_ci = tokio::task::spawn_blocking(move || {
        prepare::ensure("shipping", &Prepare::Npm { lock }, &locks)
    })
    .await?
    .map(|_| started.elapsed())
    .map_err(|e| anyhow::anyhow!(e))?;
    let venv = tempfile::tempdir()?;
    let requirements = std::fs::canonicalize("services/recommendations/requirements.txt")?;
    let envs = venv.path().to_path_buf();
    let started = Instant::now();
    let pip = tokio::task::spawn_blocking(move || {
        prepare::ensure(
            "recommendations",
            &Prepare::PythonRequirements { requirements },
            &envs,
        )
    })
    .await?
    .map(|_| started.elapsed())
    .map_err(|e| anyhow::anyhow!(e))?;

    let mut s = String::from(
        "polyglot start-up: `chaoslab up --headless` to all ready (8 services, hub, agent)\n",
    );
    writeln!(s, "| run | ms | target |")?;
    writeln!(s, "|---|---|---|")?;
    writeln!(
        s,
        "| first run: the venv made, node_modules current | {first} | - |"
    )?;
    writeln!(
        s,
        "| later runs (5): min / median / max | {} / {} / {} | < 2000 |",
        later[0],
        later[later.len() / 2],
        later[later.len() - 1]
    )?;
    writeln!(
        s,
        "| set-up alone: venv from requirements.txt (pip, from the registry or its cache) | {} | - |",
        pip.as_millis()
    )?;
    writeln!(
        s,
        "| set-up alone: npm ci from package-lock.json | {} | - |",
        npm_ci.as_millis()
    )?;
    Ok(s)
}

/// One round of product pages: p50 ms, p99 ms, pages answered.
type Round = (f64, f64, usize);

/// p50/p99 of `GET /api/products/{id}`, 4 connections, closed loop, for `secs`.
async fn page_latency(gateway: &str, secs: u64) -> anyhow::Result<Round> {
    let http = reqwest::Client::builder().no_proxy().build()?;
    for id in 1..=20 {
        http.get(format!("{gateway}/api/products/{id}"))
            .send()
            .await?
            .bytes()
            .await?;
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let (http, gateway) = (http.clone(), gateway.to_string());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut id = w;
            while Instant::now() < until {
                id = id % 20 + 1;
                let t = Instant::now();
                if let Ok(r) = http
                    .get(format!("{gateway}/api/products/{id}"))
                    .send()
                    .await
                    && r.status().is_success()
                    && r.bytes().await.is_ok()
                {
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort_by(f64::total_cmp);
    if all.is_empty() {
        anyhow::bail!("no product page answered");
    }
    let at = |q: f64| all[((all.len() - 1) as f64 * q) as usize];
    Ok((at(0.5), at(0.99), all.len()))
}

/// The product page with the Python hop and without it, two rounds alternating.
async fn product_page(secs: u64) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let without = super::labfile::shop_without(
        dir.path(),
        &["recommendations"],
        "shop-without-recommendations.toml",
    )?
    .display()
    .to_string();
    let mut rows: Vec<(String, Vec<Round>)> = vec![
        (
            "with recommendations (Python) through its proxy".into(),
            vec![],
        ),
        (
            "without recommendations (a lab file without it)".into(),
            vec![],
        ),
    ];
    for _ in 0..2 {
        for (i, row) in rows.iter_mut().enumerate() {
            let args: Vec<String> = if i == 0 {
                vec![]
            } else {
                vec!["--lab".into(), without.clone()]
            };
            let lab = tokio::task::spawn_blocking(move || {
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                BenchLab::start_with(0.0, &[], &a)
            })
            .await??;
            row.1.push(page_latency(&lab.entry_url(), secs).await?);
        }
    }
    let mut s = format!(
        "gateway GET /api/products/{{id}}, 4 connections closed loop, {secs} s a round, 2 rounds alternating\n"
    );
    writeln!(s, "| lab | p50 ms (rounds) | p99 ms (rounds) | pages |")?;
    writeln!(s, "|---|---|---|---|")?;
    for (name, r) in &rows {
        let join = |f: fn(&Round) -> f64| {
            r.iter()
                .map(|x| format!("{:.1}", f(x)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            s,
            "| {name} | {} | {} | {} |",
            join(|x| x.0),
            join(|x| x.1),
            r.iter().map(|x| x.2).sum::<usize>()
        )?;
    }
    Ok(s)
}
