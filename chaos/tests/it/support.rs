//! Test helpers: an agent on 127.0.0.1:0, small real servers, `eventually`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chaoslab_chaos::{Agent, AgentConfig, LabControl, ProxySpec, ProxyView};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Wait until `check` holds, or fail with `what` after `within`.
pub async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn agent() -> Arc<Agent> {
    agent_with(None)
}

pub fn agent_with(control: Option<Arc<dyn LabControl>>) -> Arc<Agent> {
    let cfg = AgentConfig {
        seed: Some(42),
        token: None,
        metrics: Some(chaoslab_chaos::install_recorder()),
    };
    Agent::new(cfg, control)
}

/// Call the router without a socket: (status, body as JSON or string).
pub async fn call(agent: &Arc<Agent>, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = agent.router().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

/// An echo server: writes back what it reads; on EOF it half-closes too.
pub async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (mut r, mut w) = socket.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
                let _ = w.shutdown().await;
            });
        }
    });
    addr
}

/// A server that writes `payload` to each client, then closes (after the
/// client's half-close if `wait_eof`).
pub async fn sending_server(payload: Vec<u8>, wait_eof: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let payload = Arc::new(payload);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let payload = payload.clone();
            tokio::spawn(async move {
                let _ = socket.write_all(&payload).await;
                if wait_eof {
                    let mut sink = Vec::new();
                    let _ = socket.read_to_end(&mut sink).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

/// Create a tcp proxy to `upstream` on a free port.
pub async fn proxy(agent: &Arc<Agent>, name: &str, upstream: SocketAddr) -> ProxyView {
    agent
        .create_proxy(ProxySpec::new(name, "127.0.0.1:0", upstream.to_string()))
        .await
        .unwrap()
}

pub async fn connect(view: &ProxyView) -> TcpStream {
    let s = TcpStream::connect(&view.listen).await.unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Add a toxic through the API; panics unless it was accepted.
pub async fn toxic(agent: &Arc<Agent>, proxy: &str, body: Value) -> Value {
    let (status, v) = call(
        agent,
        "POST",
        &format!("/proxies/{proxy}/toxics"),
        &body.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// Deterministic pseudo-random bytes.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The value of the first series of `name` whose labels contain every `needle`, 0 if none.
pub async fn metric(agent: &Arc<Agent>, name: &str, needles: &[&str]) -> f64 {
    let (_, body) = call(agent, "GET", "/metrics", "").await;
    let text = body.as_str().unwrap_or_default().to_string();
    text.lines()
        .filter(|l| l.starts_with(name) && needles.iter().all(|n| l.contains(n)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .next()
        .unwrap_or(0.0)
}
