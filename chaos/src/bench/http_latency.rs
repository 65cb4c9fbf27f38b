//! The latency toxic in HTTP mode, measured as the TCP case is: one
//! keep-alive connection, a 1 KB answer, requests one after another,
//! direct to the bench's HTTP server and through an http-mode proxy
//! carrying a downstream latency toxic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::http_load::HttpConn;
use super::load::Conn;
use crate::agent::Agent;
use crate::views::{ProxySpec, ToxicSpec};

/// Requests direct and through the proxy: (direct, proxied) latencies in µs.
pub async fn latency_http(
    agent: &Arc<Agent>,
    server: std::net::SocketAddr,
    latency: Duration,
    requests: usize,
) -> std::io::Result<(Histogram<u64>, Histogram<u64>)> {
    let spec = ProxySpec::new("bench_http_latency", "127.0.0.1:0", server.to_string()).http();
    let proxy = agent
        .create_proxy(spec)
        .await
        .map_err(|e| std::io::Error::other(e.message))?;
    let toxic = ToxicSpec::new(
        "latency",
        serde_json::json!({ "latency": latency.as_millis() as u64 }),
    );
    let result = async {
        let direct = sequential(&server.to_string(), requests.min(200)).await?;
        agent
            .add_toxic("bench_http_latency", toxic, None)
            .map_err(|e| std::io::Error::other(e.message))?;
        let slow = sequential(&proxy.listen, requests).await?;
        Ok((direct, slow))
    }
    .await;
    let _ = agent.delete_proxy("bench_http_latency").await;
    result
}

/// `n` GETs of 1 KB one after another on one kept-alive connection (the
/// first, which opens it, not counted).
async fn sequential(addr: &str, n: usize) -> std::io::Result<Histogram<u64>> {
    let mut conn = HttpConn::open(addr, 1024).await?;
    conn.request().await?;
    let mut hist = super::load::exact_histogram();
    for _ in 0..n {
        let t = Instant::now();
        conn.request().await?;
        let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
    }
    Ok(hist)
}
