//! The latency toxic in HTTP mode, measured as the TCP case is: one
//! keep-alive connection, a 1 KB answer, requests one after another,
//! direct to a small HTTP server and through an http-mode proxy carrying a
//! downstream latency toxic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::{Router, routing::get};
use hdrhistogram::Histogram;
use tokio_util::sync::CancellationToken;

use crate::agent::Agent;
use crate::views::{ProxySpec, ToxicSpec};

/// Requests direct and through the proxy: (direct, proxied) latencies in µs.
pub async fn latency_http(
    agent: &Arc<Agent>,
    latency: Duration,
    requests: usize,
) -> std::io::Result<(Histogram<u64>, Histogram<u64>)> {
    let cancel = CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server = listener.local_addr()?;
    let body = Arc::new(vec![b'x'; 1024]);
    let app = Router::new().route(
        "/kb",
        get(move || {
            let body = body.clone();
            async move { body.as_ref().clone() }
        }),
    );
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });
    let spec = ProxySpec::new("bench_http", "127.0.0.1:0", server.to_string()).http();
    let proxy = agent
        .create_proxy(spec)
        .await
        .map_err(|e| std::io::Error::other(e.message))?;
    let toxic = ToxicSpec::new(
        "latency",
        serde_json::json!({ "latency": latency.as_millis() as u64 }),
    );
    let result = async {
        let direct = sequential(&format!("http://{server}/kb"), requests.min(200)).await?;
        agent
            .add_toxic("bench_http", toxic, None)
            .map_err(|e| std::io::Error::other(e.message))?;
        let slow = sequential(&format!("http://{}/kb", proxy.listen), requests).await?;
        Ok((direct, slow))
    }
    .await;
    let _ = agent.delete_proxy("bench_http").await;
    result
}

/// `n` GETs one after another on one kept-alive connection.
async fn sequential(url: &str, n: usize) -> std::io::Result<Histogram<u64>> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .build()
        .map_err(std::io::Error::other)?;
    let mut hist = Histogram::<u64>::new(3).map_err(std::io::Error::other)?;
    // The first request opens the connection: not counted.
    for i in 0..=n {
        let t = Instant::now();
        let r = client
            .get(url)
            .send()
            .await
            .map_err(std::io::Error::other)?;
        let _ = r.bytes().await.map_err(std::io::Error::other)?;
        if i > 0 {
            let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
        }
    }
    Ok(hist)
}
