//! The http-mode proxy: parses HTTP/1.1 from the client, applies the proxy's
//! HTTP faults and toxics per request, continues the request's trace, and
//! forwards to the upstream over a kept-alive connection of the client
//! connection's own ([`upstream`]).
//!
//! ```text
//!  client ──HTTP/1.1──> [span "proxy <name>": faults, toxics] ──its own connection──> upstream
//!          traceparent (parent)                       traceparent (the proxy span)
//! ```
//!
//! What applies in http mode: HTTP faults (abort, delay); every toxic, drawn
//! per request, as its own file says ([`crate::toxics::Toxic::http`]): on the
//! request or response body (through the same chain runner as a tcp link), or
//! on the message as a whole (see [`toxics`]: a delay, a hold, a reset);
//! `enabled: false` closes the listener.
//! Hop-by-hop headers are not forwarded either way. Byte counters count every
//! byte on both sockets (client side in [`counted`], server side in [`upstream`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chaoslab_kit::http::{method_attributes, propagation};
use chaoslab_kit::names;
use chaoslab_kit::names::span as span_names;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry::trace::{Span, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue, global};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

mod counted;
mod headers;
mod read_ahead;
pub mod toxic_body;
mod toxics;
pub mod upstream;

pub use headers::strip_hop_by_hop;

use crate::faults::http::HttpAction;
use crate::proxy::Proxy;
use crate::proxy::chain::Direction;
use toxic_body::{BoxError, ProxyBody as Body, ToxicBody};

/// Per client connection: lets a request end its connection (timeout,
/// reset_peer, limit_data on the request body).
pub(crate) struct ConnCtl {
    end: CancellationToken,
    /// A second handle on the client socket, to set SO_LINGER 0 for a reset.
    dup: std::sync::Mutex<Option<std::net::TcpStream>>,
    /// The connection's own upstream connection.
    upstream: upstream::Upstream,
}

impl ConnCtl {
    /// Close the client connection (FIN), or reset it (RST).
    fn finish(&self, reset: bool) {
        let dup = self.dup.lock().unwrap_or_else(|e| e.into_inner()).take();
        if reset && let Some(dup) = &dup {
            let _ = socket2::SockRef::from(dup).set_linger(Some(Duration::ZERO));
        }
        self.end.cancel();
    }
}

/// Serve one client connection of an http-mode proxy.
pub(crate) async fn serve(proxy: Arc<Proxy>, socket: TcpStream, cancel: CancellationToken) {
    let _ = socket.set_nodelay(true);
    let (socket, dup) = match socket.into_std().and_then(|s| {
        let dup = s.try_clone()?;
        Ok((TcpStream::from_std(s)?, dup))
    }) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::warn!(proxy = %proxy.name, error = %e, "client socket");
            return;
        }
    };
    let (upstream, driver) = upstream::Upstream::new();
    let ctl = Arc::new(ConnCtl {
        end: CancellationToken::new(),
        dup: std::sync::Mutex::new(Some(dup)),
        upstream,
    });
    let socket = counted::Counted {
        inner: socket,
        received: proxy.bytes_counter("received", Direction::Upstream),
        sent: proxy.bytes_counter("sent", Direction::Downstream),
    };
    let service = {
        let ctl = ctl.clone();
        hyper::service::service_fn(move |req| handle(proxy.clone(), ctl.clone(), req))
    };
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), service);
    tokio::select! {
        _ = conn => {}
        _ = driver => {}
        _ = cancel.cancelled() => {}
        _ = ctl.end.cancelled() => {}
    }
    // The connection (and its socket) is dropped before the second handle,
    // so a reset's SO_LINGER 0 applies when the last one closes.
    drop(ctl.dup.lock().unwrap_or_else(|e| e.into_inner()).take());
}

fn text(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(toxic_body::boxed(Full::new(Bytes::from(body))))
        .unwrap_or_else(|_| Response::new(toxic_body::boxed(Full::new(Bytes::new()))))
}

fn count(target: &str, kind: &str) {
    metrics::counter!(names::CHAOS_INJECTIONS,
        names::label::TARGET => target.to_string(), names::label::KIND => kind.to_string())
    .increment(1);
}

/// Run a message body of `direction` through the body toxics drawn for it,
/// each one counted and (if the span is still open) marked on the span. An
/// end held back by a toxic needs the message chunked: `Content-Length` goes.
fn with_toxics(
    proxy: &Arc<Proxy>,
    direction: Direction,
    body: Body,
    headers: &mut http::HeaderMap,
    span: &mut global::BoxedSpan,
    rng: &mut StdRng,
    on_close: Option<Arc<ConnCtl>>,
) -> Body {
    let target = proxy.name.clone();
    let Some((runner, chain)) =
        toxics::body_toxics(proxy, direction, rng, move |kind| count(&target, kind))
    else {
        return body;
    };
    for kind in runner.active_kinds() {
        span.add_event(
            span_names::FAULT_EVENT,
            vec![
                KeyValue::new(span_names::FAULT_KIND, kind.to_string()),
                KeyValue::new(span_names::FAULT_TARGET, proxy.name.clone()),
            ],
        );
    }
    if runner.holds_end() {
        headers.remove(http::header::CONTENT_LENGTH);
    }
    let on_close = on_close.map(|ctl| Box::new(move || ctl.finish(false)) as _);
    ToxicBody::new(body, runner, chain, on_close).boxed()
}

/// End the client connection as a toxic says, never answering this request.
async fn finish(
    proxy: &Proxy,
    ctl: &ConnCtl,
    held: &toxics::Hold,
) -> Result<Response<Body>, BoxError> {
    let reset = toxics::hold(proxy, held).await;
    ctl.finish(reset);
    std::future::pending().await
}

async fn handle(
    proxy: Arc<Proxy>,
    ctl: Arc<ConnCtl>,
    req: Request<Incoming>,
) -> Result<Response<Body>, BoxError> {
    let parent = propagation::extract(req.headers());
    let mut span = proxy
        .tracer
        .span_builder(proxy.span_name.clone())
        .with_kind(SpanKind::Server)
        .start_with_context(&proxy.tracer, &parent);
    if span.is_recording() {
        let (_, method) = method_attributes(req.method().as_str());
        method.for_each(|kv| span.set_attribute(kv));
        span.set_attribute(KeyValue::new(
            span_names::URL_PATH,
            req.uri().path().to_string(),
        ));
        span.set_attribute(KeyValue::new(span_names::PROXY_NAME, proxy.name.clone()));
    }

    let mut rng = StdRng::seed_from_u64(proxy.connection_seed());
    for fault in proxy.http.list() {
        let spec = &fault.spec;
        if !spec
            .matcher
            .matches(req.method().as_str(), req.uri().path(), req.headers())
        {
            continue;
        }
        if rng.random::<f64>() * 100.0 >= spec.percent {
            continue;
        }
        span.add_event(
            span_names::FAULT_EVENT,
            vec![
                KeyValue::new(span_names::FAULT_KIND, fault.kind()),
                KeyValue::new(span_names::FAULT_ID, fault.id.clone()),
                KeyValue::new(span_names::FAULT_TARGET, proxy.name.clone()),
            ],
        );
        count(&proxy.name, fault.kind());
        match &spec.action {
            HttpAction::Delay { delay } => fault.hold(delay.sample(&mut rng)).await,
            HttpAction::Abort { status, body } => {
                let body = body.clone().unwrap_or_else(|| {
                    serde_json::json!({"error": format!("injected by chaos fault {}", fault.id), "status": status}).to_string()
                });
                span.set_attribute(KeyValue::new(span_names::HTTP_STATUS, *status as i64));
                span.set_status(Status::error(format!(
                    "aborted by chaos fault {}",
                    fault.id
                )));
                span.end();
                return Ok(text(*status, body));
            }
        }
    }

    let mut drawn = toxics::draw(&proxy, &mut rng);
    for kind in &drawn.kinds {
        count(&proxy.name, kind);
        span.add_event(
            span_names::FAULT_EVENT,
            vec![
                KeyValue::new(span_names::FAULT_KIND, kind.clone()),
                KeyValue::new(span_names::FAULT_TARGET, proxy.name.clone()),
            ],
        );
    }
    let [up, down] = [Direction::Upstream, Direction::Downstream].map(|d| d.index());
    if !drawn.latency[up].is_zero() {
        crate::timer::sleep(drawn.latency[up]).await;
    }
    if let Some(held) = drawn.hold[up].take() {
        span.set_status(Status::error("held by a toxic"));
        span.end();
        return finish(&proxy, &ctl, &held).await;
    }

    let (mut parts, body) = req.into_parts();
    if parts.uri.authority().is_some() {
        // Absolute-form (a client that takes the proxy for a forward proxy):
        // the upstream gets the origin form.
        parts.uri = match parts.uri.path_and_query().map(|p| p.as_str().parse()) {
            Some(Ok(uri)) => uri,
            _ => hyper::Uri::from_static("/"),
        };
    }
    strip_hop_by_hop(&mut parts.headers);
    // The upstream's parent is the proxy's span (written when it is valid).
    propagation::inject(
        &Context::new().with_remote_span_context(span.span_context().clone()),
        &mut parts.headers,
    );
    // A request body cut by a toxic closes the client connection too.
    let body = with_toxics(
        &proxy,
        Direction::Upstream,
        toxic_body::boxed(body),
        &mut parts.headers,
        &mut span,
        &mut rng,
        Some(ctl.clone()),
    );
    let mut result = ctl
        .upstream
        .send(&proxy, Request::from_parts(parts, body))
        .await
        .map(|resp| resp.map(toxic_body::boxed));
    let delay = drawn.latency[down];
    if !delay.is_zero() {
        result = match result {
            Ok(resp) => {
                let (parts, body) = resp.into_parts();
                Ok(Response::from_parts(
                    parts,
                    read_ahead::delayed(delay, body).await,
                ))
            }
            Err(e) => {
                crate::timer::sleep(delay).await;
                Err(e)
            }
        };
    }
    if let Some(held) = drawn.hold[down].take() {
        span.set_status(Status::error("held by a toxic"));
        span.end();
        return finish(&proxy, &ctl, &held).await;
    }
    let response = match result {
        Ok(resp) => {
            span.set_attribute(KeyValue::new(
                "http.response.status_code",
                resp.status().as_u16() as i64,
            ));
            let (mut parts, body) = resp.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            let body = with_toxics(
                &proxy,
                Direction::Downstream,
                body,
                &mut parts.headers,
                &mut span,
                &mut rng,
                None,
            );
            Response::from_parts(parts, body)
        }
        Err(e) => {
            span.set_status(Status::error(e.to_string()));
            if ctl.end.is_cancelled() {
                span.end();
                return std::future::pending().await;
            }
            let upstream = proxy.lock().upstream.clone();
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
