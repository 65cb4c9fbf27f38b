//! Toxiproxy's toxics on an http-mode proxy, on real sockets: bandwidth,
//! slicer, limit_data, slow_close on the response body; timeout and
//! reset_peer on the client connection; hop-by-hop headers not forwarded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use chaoslab_chaos::{Agent, ProxySpec};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// An HTTP upstream: `/bytes/{n}` answers n pseudo-random bytes; `/headers`
/// answers the request's header names, one a line, and sets hop-by-hop headers.
async fn upstream() -> SocketAddr {
    let app = axum::Router::new()
        .route(
            "/bytes/{n}",
            axum::routing::get(|Path(n): Path<usize>| async move { payload(n, 7) }),
        )
        .route(
            "/len",
            axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/headers",
            axum::routing::get(|headers: HeaderMap| async move {
                let names: Vec<String> = headers.keys().map(|k| k.to_string()).collect();
                (
                    [("keep-alive", "timeout=5"), ("x-answer", "yes")],
                    names.join("\n"),
                )
            }),
        );
    chaoslab_testkit::serve(app).await
}

async fn http_proxy(agent: &Arc<Agent>, name: &str) -> String {
    let up = upstream().await;
    agent
        .create_proxy(ProxySpec::new(name, "127.0.0.1:0", up.to_string()).http())
        .await
        .unwrap()
        .listen
}

/// Send a GET on a raw socket; answer the socket.
async fn raw_get(listen: &str, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(listen).await.unwrap();
    s.set_nodelay(true).unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// The body after the header block of a raw response.
fn body_of(raw: &[u8]) -> &[u8] {
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    &raw[at + 4..]
}

#[tokio::test]
async fn bandwidth_throttles_the_response_body() {
    let agent = agent();
    let listen = http_proxy(&agent, "hbw").await;
    toxic(
        &agent,
        "hbw",
        json!({"type": "bandwidth", "attributes": {"rate": 100}}),
    )
    .await;
    let start = Instant::now();
    let body = reqwest::get(format!("http://{listen}/bytes/60000"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let took = start.elapsed().as_secs_f64();
    assert_eq!(body.len(), 60_000);
    assert_eq!(&body[..], &payload(60_000, 7)[..]);
    // 60 KB at 100 KB/s: 0.6 s. Never faster than the rate allows (10%
    // for timer rounding); slower only by what a loaded machine adds.
    assert!((0.54..0.9).contains(&took), "took {took:.3} s");
}

#[tokio::test]
async fn slicer_delivers_the_body_in_pieces() {
    let agent = agent();
    let listen = http_proxy(&agent, "hsl").await;
    toxic(
        &agent,
        "hsl",
        json!({"type": "slicer", "attributes": {"average_size": 200, "size_variation": 0, "delay": 5000}}),
    )
    .await;
    let mut s = raw_get(&listen, "/bytes/4000").await;
    let (mut raw, mut reads) = (Vec::new(), 0);
    let mut buf = [0u8; 65536];
    loop {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        reads += 1;
        raw.extend_from_slice(&buf[..n]);
    }
    assert_eq!(body_of(&raw), &payload(4000, 7)[..]);
    assert!(reads >= 5, "{reads} reads");
}

#[tokio::test]
async fn limit_data_cuts_the_body_and_closes() {
    let agent = agent();
    let listen = http_proxy(&agent, "hld").await;
    toxic(
        &agent,
        "hld",
        json!({"type": "limit_data", "attributes": {"bytes": 1000}}),
    )
    .await;
    let mut s = raw_get(&listen, "/bytes/10000").await;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("the proxy closes the connection");
    assert!(
        raw.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&raw[..40.min(raw.len())])
    );
    assert_eq!(body_of(&raw), &payload(10_000, 7)[..1000]);
    assert!(
        reqwest::get(format!("http://{listen}/bytes/10000"))
            .await
            .unwrap()
            .bytes()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn slow_close_delays_the_end_of_the_body() {
    let agent = agent();
    let listen = http_proxy(&agent, "hsc").await;
    toxic(
        &agent,
        "hsc",
        json!({"type": "slow_close", "attributes": {"delay": 300}}),
    )
    .await;
    let start = Instant::now();
    let body = reqwest::get(format!("http://{listen}/bytes/100"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 100);
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn timeout_swallows_the_request() {
    let agent = agent();
    let listen = http_proxy(&agent, "hto").await;
    // 0: never answers, until the toxic is removed (then the connection closes).
    toxic(
        &agent,
        "hto",
        json!({"type": "timeout", "name": "t", "attributes": {"timeout": 0}}),
    )
    .await;
    let mut s = raw_get(&listen, "/bytes/10").await;
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf))
            .await
            .is_err(),
        "no answer while the toxic holds the request"
    );
    let (status, _) = call(&agent, "DELETE", "/proxies/hto/toxics/t", "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("closed on removal");
    assert_eq!(n.unwrap_or(0), 0, "closed without an answer");

    // 200 ms: closed after that, without an answer.
    toxic(
        &agent,
        "hto",
        json!({"type": "timeout", "stream": "upstream", "attributes": {"timeout": 200}}),
    )
    .await;
    let start = Instant::now();
    let mut s = raw_get(&listen, "/bytes/10").await;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("closed");
    assert!(raw.is_empty(), "{raw:?}");
    assert!(
        start.elapsed() >= Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn reset_peer_resets_the_client_connection() {
    let agent = agent();
    let listen = http_proxy(&agent, "hrp").await;
    toxic(
        &agent,
        "hrp",
        json!({"type": "reset_peer", "attributes": {"timeout": 100}}),
    )
    .await;
    let start = Instant::now();
    let mut s = raw_get(&listen, "/bytes/10").await;
    let mut raw = Vec::new();
    let res = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("ended");
    let err = res.expect_err("a reset, not a clean close");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    assert!(
        reqwest::get(format!("http://{listen}/bytes/10"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn hop_by_hop_headers_are_not_forwarded() {
    let agent = agent();
    let listen = http_proxy(&agent, "hop").await;
    let mut s = TcpStream::connect(&listen).await.unwrap();
    let req = "GET /headers HTTP/1.1\r\nhost: x\r\nconnection: close, x-private\r\nx-private: 1\r\n\
               keep-alive: timeout=5\r\nte: trailers\r\nproxy-authorization: Basic eA==\r\n\
               upgrade: websocket\r\nx-kept: 1\r\n\r\n";
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_lowercase();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let seen: Vec<&str> = body.lines().collect();
    assert!(seen.contains(&"x-kept"), "{seen:?}");
    for gone in [
        "x-private",
        "keep-alive",
        "te",
        "proxy-authorization",
        "upgrade",
    ] {
        assert!(
            !seen.contains(&gone),
            "{gone} reached the upstream: {seen:?}"
        );
    }
    assert!(head.contains("x-answer: yes"), "{head}");
    assert!(!head.contains("keep-alive: timeout=5"), "{head}");
}

#[tokio::test]
async fn upstream_toxics_act_on_the_request_body() {
    let agent = agent();
    let listen = http_proxy(&agent, "hup").await;
    let c = reqwest::Client::new();
    toxic(
        &agent,
        "hup",
        json!({"type": "bandwidth", "name": "bw", "stream": "upstream", "attributes": {"rate": 100}}),
    )
    .await;
    let start = Instant::now();
    let answer = c
        .post(format!("http://{listen}/len"))
        .body(payload(30_000, 1))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let took = start.elapsed().as_secs_f64();
    assert_eq!(answer, "30000");
    // 30 KB at 100 KB/s: 0.3 s.
    assert!((0.27..0.4).contains(&took), "took {took:.3} s");
    call(&agent, "DELETE", "/proxies/hup/toxics/bw", "").await;

    toxic(
        &agent,
        "hup",
        json!({"type": "limit_data", "stream": "upstream", "attributes": {"bytes": 1000}}),
    )
    .await;
    let res = c
        .post(format!("http://{listen}/len"))
        .body(payload(30_000, 1))
        .send()
        .await;
    assert!(res.is_err(), "a cut request gets no answer: {res:?}");
}

#[tokio::test]
async fn removing_a_body_toxic_releases_the_body_at_once() {
    let agent = agent();
    let listen = http_proxy(&agent, "hrm").await;
    // 20 KB at 1 KB/s would take 20 s.
    toxic(
        &agent,
        "hrm",
        json!({"type": "bandwidth", "name": "slow", "attributes": {"rate": 1}}),
    )
    .await;
    let start = Instant::now();
    let (headers_in, headers_seen) = tokio::sync::oneshot::channel();
    let fetch = tokio::spawn(async move {
        let resp = reqwest::get(format!("http://{listen}/bytes/20000"))
            .await
            .unwrap();
        // The headers are through: the body is now held back by the toxic.
        let _ = headers_in.send(());
        resp.bytes().await.unwrap()
    });
    tokio::time::timeout(Duration::from_secs(5), headers_seen)
        .await
        .expect("response headers")
        .unwrap();
    let (status, _) = call(&agent, "DELETE", "/proxies/hrm/toxics/slow", "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let body = tokio::time::timeout(Duration::from_secs(5), fetch)
        .await
        .expect("the body is released when the toxic goes")
        .unwrap();
    assert_eq!(&body[..], &payload(20_000, 7)[..]);
    assert!(start.elapsed() < Duration::from_secs(5));
}
