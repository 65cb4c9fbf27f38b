//! Byte-exact forwarding, half-close, and metrics of the plain proxy.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

/// Send `len` random bytes through the proxy to an echo server and back.
async fn echo_through_proxy(len: usize) {
    let agent = agent();
    let upstream = echo_server().await;
    let view = proxy(&agent, "echo", upstream).await;
    let data = payload(len, len as u64);
    let stream = connect(&view).await;
    let (mut r, mut w) = stream.into_split();
    let sent = data.clone();
    let writer = tokio::spawn(async move {
        w.write_all(&sent).await.unwrap();
        w.shutdown().await.unwrap(); // half-close: the echo server sees EOF and closes its side
        w
    });
    let mut got = Vec::with_capacity(len);
    tokio::time::timeout(Duration::from_secs(60), r.read_to_end(&mut got))
        .await
        .expect("echo finished")
        .unwrap();
    writer.await.unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "echoed bytes differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_8_mb_both_ways_byte_exact() {
    echo_through_proxy(8 * 1024 * 1024).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_64_mb_both_ways_byte_exact() {
    echo_through_proxy(64 * 1024 * 1024).await;
}

#[tokio::test]
async fn half_close_lets_the_server_answer_after_the_client_finished() {
    let agent = agent();
    // The server answers only after the client's EOF, then closes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut req = Vec::new();
        s.read_to_end(&mut req).await.unwrap();
        s.write_all(format!("got {} bytes", req.len()).as_bytes())
            .await
            .unwrap();
        s.shutdown().await.unwrap();
    });
    let view = proxy(&agent, "halfclose", upstream).await;
    let mut s = connect(&view).await;
    s.write_all(b"hello").await.unwrap();
    s.shutdown().await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "got 5 bytes");
}

#[tokio::test]
async fn byte_counters_appear_in_metrics() {
    let agent = agent();
    let upstream = echo_server().await;
    let view = proxy(&agent, "counted", upstream).await;
    let mut s = connect(&view).await;
    s.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).await.unwrap();
    let (status, body) = call(&agent, "GET", "/metrics", "").await;
    assert_eq!(status, 200);
    let text = body.as_str().unwrap().to_string();
    for name in [
        "toxiproxy_proxy_received_bytes_total",
        "toxiproxy_proxy_sent_bytes_total",
    ] {
        let line = text
            .lines()
            .find(|l| {
                l.starts_with(name)
                    && l.contains("proxy=\"counted\"")
                    && l.contains("direction=\"upstream\"")
            })
            .unwrap_or_else(|| panic!("{name} for proxy counted missing in:\n{text}"));
        assert!(
            line.contains("listener=") && line.contains("upstream="),
            "{line}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_upstream_closes_the_client() {
    let agent = agent();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let view = proxy(&agent, "dead", dead).await;
    let mut s = connect(&view).await;
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap();
    assert!(matches!(n, Ok(0) | Err(_)));
}

#[tokio::test]
async fn shutdown_closes_every_listener() {
    let agent = agent();
    let view = proxy(&agent, "bye", echo_server().await).await;
    agent.shutdown().await;
    assert!(tokio::net::TcpStream::connect(&view.listen).await.is_err());
    assert!(!agent.proxy("bye").unwrap().enabled);
}
