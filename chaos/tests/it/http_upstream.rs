//! An http-mode proxy's upstream connections: one per client connection,
//! kept across its requests, dialed again when the upstream closed it or
//! the proxy's upstream changed, with no request lost to a closed one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;
use chaoslab_testkit::local_listener;

/// A raw HTTP/1.1 server answering `tag` to every GET, counting the
/// connections it accepted; with `close_after_each` it closes a connection
/// right after each answer without saying so (no `Connection: close`), as
/// an upstream whose idle timeout fired would.
async fn counting_server(
    tag: &'static str,
    close_after_each: bool,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = local_listener().await;
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{tag}",
                            tag.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                        if close_after_each {
                            return;
                        }
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    (addr, accepted)
}

/// One client connection (a client that keeps one connection alive).
fn one_connection_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let resp = client.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn a_client_connection_keeps_one_upstream_connection_and_follows_a_new_upstream() {
    let agent = agent();
    let (a, a_conns) = counting_server("A", false).await;
    let (b, b_conns) = counting_server("B", false).await;
    let base = http_proxy_to(&agent, "kept", a).await;
    let client = one_connection_client();
    for _ in 0..5 {
        assert_eq!(get(&client, &format!("{base}/x")).await, (200, "A".into()));
    }
    assert_eq!(
        a_conns.load(Ordering::SeqCst),
        1,
        "five requests, one upstream connection"
    );

    let (s, v) = call(
        &agent,
        "POST",
        "/proxies/kept",
        &json!({"upstream": b.to_string()}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for _ in 0..3 {
        assert_eq!(get(&client, &format!("{base}/x")).await, (200, "B".into()));
    }
    assert_eq!(b_conns.load(Ordering::SeqCst), 1);
    assert_eq!(a_conns.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_upstream_that_closes_each_connection_loses_no_request() {
    let agent = agent();
    let (up, conns) = counting_server("ok", true).await;
    let base = http_proxy_to(&agent, "closing", up).await;
    let client = one_connection_client();
    for i in 0..10 {
        assert_eq!(
            get(&client, &format!("{base}/x")).await,
            (200, "ok".into()),
            "request {i}"
        );
    }
    assert_eq!(
        conns.load(Ordering::SeqCst),
        10,
        "a new upstream connection for each"
    );
}
