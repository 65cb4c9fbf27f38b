//! Test helpers: an agent on 127.0.0.1:0, small real servers, `eventually`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chaoslab_chaos::{Agent, AgentConfig, LabControl, ProxySpec, ProxyView};
use serde_json::Value;
use tokio::net::TcpStream;
use tower::ServiceExt;

#[allow(unused_imports)]
pub use chaoslab_testkit::{echo_server, eventually, sending_server};

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

/// Create a tcp proxy to `upstream` on a free port.
/// An http-mode proxy to `upstream` made through the API: its base URL.
pub async fn http_proxy_to(agent: &Arc<Agent>, name: &str, upstream: SocketAddr) -> String {
    let body = serde_json::json!({
        "name": name, "listen": "127.0.0.1:0", "upstream": upstream.to_string(), "mode": "http"
    });
    let (s, v) = call(agent, "POST", "/proxies", &body.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["mode"], "http");
    format!("http://{}", v["listen"].as_str().unwrap())
}

/// An http-mode proxy to a fresh [`crate::lab::http_upstream`].
pub async fn http_proxy(agent: &Arc<Agent>, name: &str) -> String {
    http_proxy_to(agent, name, crate::lab::http_upstream().await).await
}

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

/// The span context a `traceparent` value carries, read as the lab reads
/// one (the kit's W3C propagation); `None` when it is not a valid one.
pub fn traceparent_context(value: &str) -> Option<opentelemetry::trace::SpanContext> {
    use opentelemetry::trace::TraceContextExt as _;
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", value.parse().ok()?);
    let cx = chaoslab_kit::http::propagation::extract(&headers);
    let sc = cx.span().span_context().clone();
    sc.is_valid().then_some(sc)
}
