//! The http-mode proxy: parses HTTP/1.1 from the client, applies the proxy's
//! HTTP faults and latency toxics per request, continues the request's trace,
//! and forwards to the upstream over kept-alive connections.
//!
//! ```text
//!  client ──HTTP/1.1──> [span "proxy <name>": faults, latency] ──hyper client──> upstream
//!          traceparent (parent)                       traceparent (the proxy span)
//! ```
//!
//! What applies in http mode: HTTP faults (abort, delay); `latency` toxics
//! (upstream: before forwarding, downstream: before answering, per request,
//! toxicity drawn per request); `enabled: false` (the listener closes). Other
//! toxics are stored and listed but have no effect on http-mode proxies.
//! Byte counters count the client side: `upstream` received, `downstream` sent.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chaoslab_kit::names;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry::trace::{
    Span, SpanContext, SpanKind, Status, TraceContextExt, TraceState, Tracer,
};
use opentelemetry::{Context, KeyValue, SpanId, TraceFlags, TraceId, global};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

mod counted;
pub mod upstream;

use crate::faults::http::HttpAction;
use crate::proxy::Proxy;
use crate::proxy::chain::Direction;

type Body = BoxBody<Bytes, hyper::Error>;

/// Serve one client connection of an http-mode proxy.
pub(crate) async fn serve(proxy: Arc<Proxy>, socket: TcpStream, cancel: CancellationToken) {
    let _ = socket.set_nodelay(true);
    let socket = counted::Counted {
        inner: socket,
        received: proxy.bytes_counter("received", Direction::Upstream),
        sent: proxy.bytes_counter("sent", Direction::Downstream),
    };
    let service = hyper::service::service_fn(move |req| handle(proxy.clone(), req));
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), service);
    tokio::select! {
        _ = conn => {}
        _ = cancel.cancelled() => {}
    }
}

/// Read a W3C `traceparent` header.
pub fn parse_traceparent(value: &str) -> Option<SpanContext> {
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version.len() != 2 || trace.len() != 32 || span.len() != 16 || flags.len() != 2 {
        return None;
    }
    let trace_id = TraceId::from_hex(trace).ok()?;
    let span_id = SpanId::from_hex(span).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let sc = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags),
        true,
        TraceState::default(),
    );
    sc.is_valid().then_some(sc)
}

/// Write a W3C `traceparent` header.
pub fn format_traceparent(sc: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        sc.trace_id(),
        sc.span_id(),
        sc.trace_flags().to_u8()
    )
}

fn text(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(
            Full::new(Bytes::from(body))
                .map_err(|never| match never {})
                .boxed(),
        )
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).map_err(|n| match n {}).boxed()))
}

/// Extra delay from the latency toxics of one direction, toxicity drawn per request.
fn toxic_latency(proxy: &Proxy, direction: Direction, rng: &mut StdRng) -> Duration {
    let mut total = Duration::ZERO;
    for entry in &proxy.current_chain(direction).entries {
        if entry.kind != "latency" || rng.random::<f32>() >= entry.toxicity {
            continue;
        }
        let attrs = entry.toxic.attributes();
        let latency = attrs.get("latency").and_then(|v| v.as_i64()).unwrap_or(0);
        let jitter = attrs.get("jitter").and_then(|v| v.as_i64()).unwrap_or(0);
        let ms = latency
            + if jitter > 0 {
                rng.random_range(-jitter..jitter)
            } else {
                0
            };
        total += Duration::from_millis(ms.max(0) as u64);
        count(&proxy.name, "latency");
    }
    total
}

fn count(target: &str, kind: &str) {
    metrics::counter!(names::CHAOS_INJECTIONS,
        names::label::TARGET => target.to_string(), names::label::KIND => kind.to_string())
    .increment(1);
}

async fn handle(
    proxy: Arc<Proxy>,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let parent = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_traceparent)
        .map(|sc| Context::new().with_remote_span_context(sc))
        .unwrap_or_default();
    let tracer = global::tracer("chaoslab-chaos");
    let mut span = tracer
        .span_builder(format!("proxy {}", proxy.name))
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", req.method().to_string()),
            KeyValue::new("url.path", req.uri().path().to_string()),
            KeyValue::new("chaos.proxy", proxy.name.clone()),
        ])
        .start_with_context(&tracer, &parent);

    let mut rng = StdRng::seed_from_u64(proxy.connection_seed());
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    for fault in proxy.http.list() {
        let spec = &fault.spec;
        if !spec.matcher.matches(&method, &path, req.headers()) {
            continue;
        }
        if rng.random::<f64>() * 100.0 >= spec.percent {
            continue;
        }
        span.add_event(
            "chaos.fault",
            vec![
                KeyValue::new("chaos.fault.kind", fault.kind()),
                KeyValue::new("chaos.fault.id", fault.id.clone()),
            ],
        );
        count(&proxy.name, fault.kind());
        match &spec.action {
            HttpAction::Delay { delay } => tokio::time::sleep(delay.sample(&mut rng)).await,
            HttpAction::Abort { status, body } => {
                let body = body.clone().unwrap_or_else(|| {
                    serde_json::json!({"error": format!("injected by chaos fault {}", fault.id), "status": status}).to_string()
                });
                span.set_attribute(KeyValue::new("http.response.status_code", *status as i64));
                span.set_status(Status::error(format!(
                    "aborted by chaos fault {}",
                    fault.id
                )));
                span.end();
                return Ok(text(*status, body));
            }
        }
    }
    let up_delay = toxic_latency(&proxy, Direction::Upstream, &mut rng);
    if !up_delay.is_zero() {
        span.add_event(
            "chaos.fault",
            vec![KeyValue::new("chaos.fault.kind", "latency")],
        );
        tokio::time::sleep(up_delay).await;
    }

    let upstream = proxy.lock().upstream.clone();
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let uri = format!("http://{upstream}{pq}");
    match uri.parse() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(e) => {
            span.end();
            return Ok(text(502, serde_json::json!({"error": format!("bad upstream {upstream}: {e}"), "status": 502}).to_string()));
        }
    }
    let sc = span.span_context().clone();
    if sc.is_valid()
        && let Ok(v) = format_traceparent(&sc).parse()
    {
        req.headers_mut().insert("traceparent", v);
    }
    let client = proxy
        .upstream_client
        .get_or_init(|| upstream::client(&proxy))
        .clone();
    let result = client.request(req).await;
    let down_delay = toxic_latency(&proxy, Direction::Downstream, &mut rng);
    if !down_delay.is_zero() {
        tokio::time::sleep(down_delay).await;
    }
    let response = match result {
        Ok(resp) => {
            span.set_attribute(KeyValue::new(
                "http.response.status_code",
                resp.status().as_u16() as i64,
            ));
            resp.map(|b| b.boxed())
        }
        Err(e) => {
            span.set_status(Status::error(e.to_string()));
            text(
                502,
                serde_json::json!({"error": format!("upstream {upstream}: {e}"), "status": 502})
                    .to_string(),
            )
        }
    };
    span.end();
    Ok(response)
}
