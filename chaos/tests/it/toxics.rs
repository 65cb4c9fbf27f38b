//! Each toxic's behaviour, measured on real sockets.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

/// Round trip of a small message through an echo proxy.
async fn round_trip(s: &mut tokio::net::TcpStream) -> Duration {
    let start = Instant::now();
    s.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
    start.elapsed()
}

#[tokio::test]
async fn latency_adds_its_delay_and_removal_takes_it_away() {
    let agent = agent();
    let view = proxy(&agent, "lat", echo_server().await).await;
    let mut s = connect(&view).await;
    let base = round_trip(&mut s).await;
    assert!(base < Duration::from_millis(80), "no toxic: {base:?}");
    toxic(
        &agent,
        "lat",
        json!({"type": "latency", "attributes": {"latency": 100}}),
    )
    .await;
    // Existing connections pick the toxic up.
    let slow = round_trip(&mut s).await;
    assert!(slow >= Duration::from_millis(100), "{slow:?}");
    assert!(slow < Duration::from_millis(400), "{slow:?}");
    let (status, _) = call(
        &agent,
        "DELETE",
        "/proxies/lat/toxics/latency_downstream",
        "",
    )
    .await;
    assert_eq!(status, 204);
    let fast = round_trip(&mut s).await;
    assert!(fast < Duration::from_millis(80), "after removal: {fast:?}");
}

#[tokio::test]
async fn latency_with_toxicity_zero_never_applies() {
    let agent = agent();
    let view = proxy(&agent, "lat0", echo_server().await).await;
    toxic(
        &agent,
        "lat0",
        json!({"type": "latency", "toxicity": 0.0, "attributes": {"latency": 300}}),
    )
    .await;
    for _ in 0..5 {
        let mut s = connect(&view).await;
        assert!(round_trip(&mut s).await < Duration::from_millis(200));
    }
}

#[tokio::test]
async fn bandwidth_holds_the_rate_within_ten_percent() {
    let agent = agent();
    let len = 1_000_000usize;
    let view = proxy(&agent, "bw", sending_server(payload(len, 7), false).await).await;
    toxic(
        &agent,
        "bw",
        json!({"type": "bandwidth", "attributes": {"rate": 1000}}),
    )
    .await; // 1 MB/s
    let start = Instant::now();
    let mut s = connect(&view).await;
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(got, payload(len, 7));
    let rate = len as f64 / secs / 1000.0;
    assert!(
        (900.0..=1100.0).contains(&rate),
        "measured {rate:.0} KB/s for a 1000 KB/s toxic"
    );
}

#[tokio::test]
async fn timeout_swallows_data_then_closes() {
    let agent = agent();
    let view = proxy(&agent, "to", echo_server().await).await;
    toxic(
        &agent,
        "to",
        json!({"type": "timeout", "attributes": {"timeout": 200}}),
    )
    .await;
    let mut s = connect(&view).await;
    let start = Instant::now();
    s.write_all(b"anyone there?").await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap();
    let waited = start.elapsed();
    assert!(matches!(n, Ok(0) | Err(_)), "data came through: {n:?}");
    assert!(
        waited >= Duration::from_millis(190),
        "closed after {waited:?}"
    );
}

#[tokio::test]
async fn timeout_zero_holds_the_connection_open() {
    let agent = agent();
    let view = proxy(&agent, "to0", echo_server().await).await;
    toxic(
        &agent,
        "to0",
        json!({"type": "timeout", "attributes": {"timeout": 0}}),
    )
    .await;
    let mut s = connect(&view).await;
    s.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 8];
    let r = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
    assert!(r.is_err(), "expected nothing at all, got {r:?}");
}

#[tokio::test]
async fn reset_peer_gives_the_client_connection_reset() {
    let agent = agent();
    let view = proxy(&agent, "rst", echo_server().await).await;
    toxic(
        &agent,
        "rst",
        json!({"type": "reset_peer", "attributes": {"timeout": 0}}),
    )
    .await;
    let mut s = connect(&view).await;
    s.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 8];
    let r = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap();
    let err = r.expect_err("expected a reset");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
}

#[tokio::test]
async fn slicer_splits_writes_into_small_pieces() {
    let agent = agent();
    let data = payload(1000, 3);
    let view = proxy(&agent, "slice", sending_server(data.clone(), false).await).await;
    toxic(
        &agent,
        "slice",
        json!({"type": "slicer", "attributes": {"average_size": 100, "size_variation": 0, "delay": 20000}}),
    )
    .await;
    let mut s = connect(&view).await;
    let mut got = Vec::new();
    let mut reads = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        reads.push(n);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, data);
    assert!(reads.len() >= 5, "reads: {reads:?}");
    assert!(reads.iter().all(|&n| n <= 250), "reads: {reads:?}");
}

#[tokio::test]
async fn limit_data_closes_after_n_bytes() {
    let agent = agent();
    let data = payload(5000, 4);
    let view = proxy(&agent, "limit", sending_server(data.clone(), true).await).await;
    toxic(
        &agent,
        "limit",
        json!({"type": "limit_data", "attributes": {"bytes": 1000}}),
    )
    .await;
    let mut s = connect(&view).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .unwrap()
        {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(got, data[..1000]);
}

#[tokio::test]
async fn slow_close_delays_the_close() {
    let agent = agent();
    let view = proxy(&agent, "sc", sending_server(b"bye".to_vec(), false).await).await;
    toxic(
        &agent,
        "sc",
        json!({"type": "slow_close", "attributes": {"delay": 500}}),
    )
    .await;
    let mut s = connect(&view).await;
    let start = Instant::now();
    let mut buf = [0u8; 3];
    s.read_exact(&mut buf).await.unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "data was held back"
    );
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(490),
        "closed after {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn down_refuses_and_up_accepts_again() {
    let agent = agent();
    let view = proxy(&agent, "down", echo_server().await).await;
    let (status, v) = call(&agent, "POST", "/proxies/down", r#"{"enabled": false}"#).await;
    assert_eq!(status, 200);
    assert_eq!(v["enabled"], false);
    let refused = tokio::net::TcpStream::connect(&view.listen).await;
    assert!(refused.is_err(), "a disabled proxy accepted a connection");
    let (status, v) = call(&agent, "PATCH", "/proxies/down", r#"{"enabled": true}"#).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["listen"], view.listen.as_str());
    let mut s = connect(&view).await;
    round_trip(&mut s).await;
}

#[tokio::test]
async fn noop_and_upstream_stream_pass_bytes_unchanged() {
    let agent = agent();
    let view = proxy(&agent, "noop", echo_server().await).await;
    toxic(
        &agent,
        "noop",
        json!({"type": "noop", "stream": "upstream"}),
    )
    .await;
    toxic(
        &agent,
        "noop",
        json!({"type": "latency", "stream": "upstream", "attributes": {"latency": 50}}),
    )
    .await;
    let mut s = connect(&view).await;
    let rtt = round_trip(&mut s).await;
    assert!(rtt >= Duration::from_millis(50), "{rtt:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_toxic_under_load_answers_promptly() {
    let agent = agent();
    let view = proxy(&agent, "load", echo_server().await).await;
    toxic(
        &agent,
        "load",
        json!({"type": "latency", "attributes": {"latency": 1000}}),
    )
    .await;
    toxic(&agent, "load", json!({"name": "bw", "type": "bandwidth", "stream": "upstream", "attributes": {"rate": 50}})).await;
    // Several connections pushing data through both toxics.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let view = view.clone();
        tasks.push(tokio::spawn(async move {
            let s = connect(&view).await;
            let (mut r, mut w) = s.into_split();
            let data = payload(2_000_000, i);
            let writer = tokio::spawn(async move {
                let _ = w.write_all(&data).await;
                let _ = w.shutdown().await;
            });
            let mut sink = Vec::new();
            let _ = r.read_to_end(&mut sink).await;
            writer.abort();
            sink.len()
        }));
    }
    eventually(
        "traffic flows through the toxics",
        Duration::from_secs(10),
        || {
            let agent = agent.clone();
            async move {
                metric(
                    &agent,
                    "toxiproxy_proxy_received_bytes_total",
                    &["proxy=\"load\"", "direction=\"upstream\""],
                )
                .await
                    > 100_000.0
            }
        },
    )
    .await;
    for path in [
        "/proxies/load/toxics/latency_downstream",
        "/proxies/load/toxics/bw",
    ] {
        let start = Instant::now();
        let (status, _) = call(&agent, "DELETE", path, "").await;
        assert_eq!(status, 204);
        assert!(
            start.elapsed() < Duration::from_millis(250),
            "{path} took {:?}",
            start.elapsed()
        );
    }
    // With the toxics gone the transfers finish quickly.
    for t in tasks {
        let n = tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 2_000_000);
    }
}

/// Whether each of `n` connections (opened one after another) was slowed by a
/// 60 ms latency toxic, checked over two round trips each.
async fn slowed_connections(
    agent: &std::sync::Arc<chaoslab_chaos::Agent>,
    name: &str,
    n: usize,
) -> Vec<bool> {
    let view = proxy(agent, name, echo_server().await).await;
    toxic(
        agent,
        name,
        json!({"type": "latency", "toxicity": 0.5, "attributes": {"latency": 60}}),
    )
    .await;
    let mut streams = Vec::new();
    for _ in 0..n {
        let mut s = connect(&view).await;
        // The first round trip makes sure the proxy has set this connection up
        // before the next one is opened, so draws happen in a fixed order.
        let first = round_trip(&mut s).await >= Duration::from_millis(60);
        streams.push((s, first));
    }
    let checks = streams.into_iter().map(|(mut s, first)| async move {
        let second = round_trip(&mut s).await >= Duration::from_millis(60);
        assert_eq!(first, second, "toxicity is drawn once per connection");
        first
    });
    futures::future::join_all(checks).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toxicity_is_drawn_per_connection_and_repeats_with_the_seed() {
    let a = slowed_connections(&agent(), "tox_a", 60).await;
    let slowed = a.iter().filter(|&&s| s).count();
    // 50% of 60, sigma = 3.9; allow 4.5 sigma.
    assert!((13..=47).contains(&slowed), "{slowed} of 60 slowed");
    let b = slowed_connections(&agent(), "tox_a", 60).await;
    assert_eq!(a, b, "the same seed gives the same draws");
}
