//! The order events' path on a real lab: checkout → outbox → relay →
//! nats-server → the shipments consumer.
//!
//! - **events/s**: checkouts from 8 concurrent clients for the round's
//!   seconds; events/s is shipments made per second from the first
//!   checkout to the last shipment (the path keeps up, or the number
//!   falls below the checkout rate and the backlog shows in the latency).
//! - **order → shipment**: from the checkout's answer (the client's clock)
//!   to the shipment's `created_at_ms` (the consumer's clock, same host).
//! - **broker alone**: `nats-server --jetstream` started as the lab starts
//!   it, time to its first `INFO` line on a client connection, and its RSS.
//! - **lab start to ready**: the shop with the broker and its consumers
//!   against the shop without them, alternating.

use std::{
    fmt::Write as _,
    io::Read,
    net::TcpStream,
    time::{Duration, Instant},
};

use chaoslab_contract::lab::Broker;
use serde_json::{Value, json};

use super::shop::{BenchLab, rss_mib};
use super::{list, median, percentile};

/// Concurrent checkout clients.
const CLIENTS: usize = 8;
/// Longest wait for the last shipment after the checkouts stop.
const DRAIN: Duration = Duration::from_secs(30);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub async fn events(secs: u64) -> anyhow::Result<String> {
    let Some(_) = Broker::Nats.installed() else {
        return Ok(format!(
            "order events: skipped, {} is not installed ({})\n",
            Broker::Nats.program(),
            Broker::Nats.install_hint()
        ));
    };
    let mut s = String::new();
    writeln!(s, "{}", path_numbers(secs.max(3)).await?)?;
    writeln!(s, "{}", broker_alone()?)?;
    writeln!(s, "{}", lab_start().await?)?;
    Ok(s)
}

/// Checkouts for `secs`, then every order's shipment.
async fn path_numbers(secs: u64) -> anyhow::Result<String> {
    let lab = tokio::task::spawn_blocking(|| BenchLab::start(0.0, &[])).await??;
    let entry = lab.entry_url();
    let shipments = lab.state["processes"]["shipments"]["url"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the lab has no shipments service"))?
        .to_string();
    let http = reqwest::Client::new();
    let token = http
        .post(format!("{entry}/api/login"))
        .json(&json!({"email": "alice@example.com", "password": "alice"}))
        .send()
        .await?
        .json::<Value>()
        .await?["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no token from the login"))?
        .to_string();
    let started = Instant::now();
    let started_ms = now_ms();
    let until = started + Duration::from_secs(secs);
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (http, entry, token) = (http.clone(), entry.clone(), token.clone());
        clients.push(tokio::spawn(async move {
            let mut answered = Vec::new();
            let mut i = 0u64;
            while Instant::now() < until {
                i += 1;
                let product = 1 + (c as u64 * 7 + i) % 20;
                let r = http
                    .post(format!("{entry}/api/checkout"))
                    .bearer_auth(&token)
                    .json(&json!({"items": [{"product_id": product, "quantity": 1}]}))
                    .send()
                    .await;
                let Ok(r) = r else { continue };
                if !r.status().is_success() {
                    continue;
                }
                if let Ok(v) = r.json::<Value>().await
                    && let Some(id) = v["order_id"].as_str()
                {
                    answered.push((id.to_string(), now_ms()));
                }
            }
            answered
        }));
    }
    let mut answered = std::collections::HashMap::new();
    for c in clients {
        answered.extend(c.await?);
    }
    let checkout_secs = started.elapsed().as_secs_f64();
    let deadline = Instant::now() + DRAIN;
    let made = loop {
        let list: Vec<Value> = http
            .get(format!("{shipments}/shipments"))
            .send()
            .await?
            .json()
            .await?;
        if list.len() >= answered.len() || Instant::now() > deadline {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(lab);
    let mut latencies: Vec<f64> = made
        .iter()
        .filter_map(|m| {
            let at = answered.get(m["order_id"].as_str()?)?;
            Some(m["created_at_ms"].as_u64()?.saturating_sub(*at) as f64)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let last = made
        .iter()
        .filter_map(|m| m["created_at_ms"].as_u64())
        .max()
        .unwrap_or(started_ms);
    let path_secs = (last.saturating_sub(started_ms) as f64 / 1000.0).max(0.001);
    let mut s = format!(
        "order events: {CLIENTS} clients checking out for {secs} s, checkout → outbox → nats-server → shipments\n"
    );
    writeln!(
        s,
        "| checkouts/s | events/s (shipments made) | shipped / ordered | order → shipment p50 ms | p99 ms | max ms |"
    )?;
    writeln!(s, "|---|---|---|---|---|---|")?;
    writeln!(
        s,
        "| {:.1} | {:.1} | {} / {} | {:.0} | {:.0} | {:.0} |",
        answered.len() as f64 / checkout_secs,
        made.len() as f64 / path_secs,
        made.len(),
        answered.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    )?;
    Ok(s)
}

/// nats-server started 5 times as the lab starts it: ready and RSS.
fn broker_alone() -> anyhow::Result<String> {
    let program = Broker::Nats
        .installed()
        .ok_or_else(|| anyhow::anyhow!("nats-server is not installed"))?;
    let (mut ready, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let started = Instant::now();
        let mut child = std::process::Command::new(&program)
            .args(Broker::Nats.args("bench", "127.0.0.1", port, dir.path()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let took = loop {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                anyhow::bail!("nats-server did not answer within 10 s");
            }
            if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
                let mut info = [0u8; 4];
                c.set_read_timeout(Some(Duration::from_secs(2)))?;
                if c.read_exact(&mut info).is_ok() && &info == b"INFO" {
                    break started.elapsed();
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        ready.push(took.as_secs_f64() * 1000.0);
        rss.push(rss_mib(child.id()).unwrap_or(f64::NAN));
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut s = String::from("broker alone: nats-server --jetstream, 5 starts, medians\n");
    writeln!(s, "| broker | ready ms | RSS MiB |")?;
    writeln!(s, "|---|---|---|")?;
    writeln!(
        s,
        "| nats-server | {:.1} | {:.1} |",
        median(&ready),
        median(&rss)
    )?;
    Ok(s)
}

/// `chaoslab up` to "lab ready", with and without the broker, alternating.
async fn lab_start() -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let without = super::labfile::shop_without(
        dir.path(),
        &["broker", "shipments", "notifications"],
        "shop-without-broker.toml",
    )?
    .display()
    .to_string();
    let (mut with_ms, mut without_ms) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let lab = tokio::task::spawn_blocking(|| BenchLab::start(0.0, &[])).await??;
        with_ms.push(lab.ready_ms as f64);
        drop(lab);
        let args = ["--lab".to_string(), without.clone()];
        let lab = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            BenchLab::start_with(0.0, &[], &a)
        })
        .await??;
        without_ms.push(lab.ready_ms as f64);
    }
    let mut s =
        String::from("lab start to ready (chaoslab up --headless), 3 starts each, alternating\n");
    writeln!(s, "| lab | median ms | starts ms |")?;
    writeln!(s, "|---|---|---|")?;
    for (name, v) in [
        ("the shop with the broker and its consumers", with_ms),
        ("the shop without them", without_ms),
    ] {
        writeln!(s, "| {name} | {:.0} | {} |", median(&v), list(&v, 0))?;
    }
    Ok(s)
}
