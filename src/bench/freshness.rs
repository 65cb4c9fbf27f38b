//! Trace freshness: how long after a request's answer its trace is in the
//! hub, on a real lab at its default load. Each request carries its own
//! `traceparent`, so the bench knows the trace id; the hub is polled every
//! 5 ms until the trace holds its root (the gateway's server span) and the
//! spans of every service it crossed stop growing.

use std::time::{Duration, Instant};

use chaoslab_contract::client::HubClient;
use chaoslab_contract::wire::hub::SpanKind;

use super::percentile;
use super::shop::BenchLab;

/// Requests measured.
const REQUESTS: usize = 60;
/// Longest wait for one trace.
const GIVE_UP: Duration = Duration::from_secs(10);
/// The lab's default load (`chaoslab up --rate`).
const DEFAULT_RATE: f64 = 5.0;

pub async fn freshness() -> anyhow::Result<String> {
    let lab = tokio::task::spawn_blocking(|| BenchLab::start(DEFAULT_RATE, &[])).await??;
    let hub = lab.state["hub_url"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the lab has no hub"))?;
    let hub = HubClient::new(hub)?;
    let gateway = lab.entry_url();
    // The root of every trace: the entry service's server span.
    let entry = lab.state["entry"].as_str().unwrap_or_default().to_string();
    let http = reqwest::Client::new();
    let mut delays = Vec::new();
    let mut missing = 0;
    for i in 0..REQUESTS {
        let trace_id = format!(
            "{:032x}",
            0xf4e5_u128 << 96 | (i as u128 + 1) << 32 | std::process::id() as u128
        );
        let tp = format!("00-{trace_id}-{:016x}-01", i as u64 + 1);
        // Warm-up requests are not counted.
        let resp = http
            .get(format!("{gateway}/api/products"))
            .header("traceparent", &tp)
            .send()
            .await?;
        let _ = resp.bytes().await?;
        let answered = Instant::now();
        let found = loop {
            if answered.elapsed() > GIVE_UP {
                break None;
            }
            if let Ok(t) = hub.trace(&trace_id).await
                && t.summary.services.len() >= 2
                && t.spans
                    .iter()
                    .any(|x| x.service == entry && x.kind == SpanKind::Server)
            {
                break Some(answered.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        match found {
            Some(d) if i >= 5 => delays.push(d.as_secs_f64() * 1000.0),
            Some(_) => {}
            None => missing += 1,
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    drop(lab);
    delays.sort_by(f64::total_cmp);
    Ok(format!(
        "trace freshness: request answered -> its trace in the hub, at {DEFAULT_RATE} journeys/s \
         (goal: p99 <= 1000 ms)\n{:<28} {:>8} {:>8} {:>8} {:>8}\n{:<28} {:>8} {:>8.0} {:>8.0} {:>8.0}\n",
        "",
        "traces",
        "p50 ms",
        "p99 ms",
        "max ms",
        "GET /api/products",
        format!(
            "{}{}",
            delays.len(),
            if missing > 0 {
                format!(" ({missing} lost)")
            } else {
                String::new()
            }
        ),
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(f64::NAN),
    ))
}
