//! The server-side layer on every business route: trace context in, a server
//! span, the semantic-convention metrics, deadlines, and the in-service faults
//! that act on requests (added latency, error rate).
//!
//! The span is made through the OpenTelemetry API, not as a `tracing` span
//! bridged by `tracing-opentelemetry`: the bridge's bookkeeping (a registry
//! entry, fields visited into attributes, an OpenTelemetry context attached
//! on every poll by each layer) cost more than the span itself. The request
//! runs with the span's context current (`FutureExt::with_context`), so log
//! lines, exported log records, fault events and any `tracing` span opened
//! inside still find their trace.

use super::{deadline, propagation};
use crate::{context::ServiceCtx, metric_handles::Handles, names};
use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use opentelemetry::{
    KeyValue,
    context::FutureExt as _,
    trace::{SpanKind, Status, TraceContextExt, Tracer},
};
use std::{sync::Arc, time::Instant};

/// The handles of the server's metrics, by label values.
#[derive(Debug, Default)]
pub struct ServerMetrics {
    /// `http_server_active_requests`, by method.
    active: Handles<metrics::Gauge>,
    /// `http_server_request_duration_seconds`, by method, route and status.
    duration: Handles<metrics::Histogram>,
}

/// `axum::middleware::from_fn_with_state(ctx, observe)`, added with
/// `Router::route_layer` so the route template is known.
pub async fn observe(State(ctx): State<Arc<ServiceCtx>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (method, method_attributes) = super::method_attributes(req.method().as_str());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());

    let parent = propagation::extract(req.headers());
    let mut attributes: Vec<KeyValue> = method_attributes.collect();
    attributes.push(KeyValue::new(names::span::HTTP_ROUTE, route.clone()));
    // The conventions' name for a span of an unknown method is `HTTP {route}`.
    let name_method = if method == names::OTHER_METHOD {
        "HTTP"
    } else {
        method
    };
    let span = ctx
        .tracer
        .span_builder(format!("{name_method} {route}"))
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(&ctx.tracer, &parent);
    let cx = parent.with_span(span);

    let deadline = request_deadline(&ctx, &req);
    let active = ctx.metrics.active.get(
        &[method],
        || metrics::gauge!(names::HTTP_SERVER_ACTIVE, names::label::METHOD => method),
    );
    active.increment(1.0);

    let response = async {
        if let Some(resp) = ctx.faults.before_request(&route).await {
            return resp;
        }
        let work = deadline::scope(deadline, next.run(req));
        match deadline {
            Some(at) => match tokio::time::timeout_at(at, work).await {
                Ok(resp) => resp,
                Err(_) => crate::error::json_error(
                    http::StatusCode::GATEWAY_TIMEOUT,
                    "deadline exceeded",
                    "the request's deadline passed before it could be answered",
                ),
            },
            None => work.await,
        }
    }
    .with_context(cx.clone())
    .await;
    active.decrement(1.0);

    let code = response.status();
    let span = cx.span();
    span.set_attribute(KeyValue::new(
        names::span::HTTP_STATUS,
        i64::from(code.as_u16()),
    ));
    if code.is_server_error() {
        span.set_status(Status::error(""));
    }
    span.end();
    ctx.metrics
        .duration
        .get(&[method, &route, code.as_str()], || {
            let error_type = if code.is_server_error() {
                code.as_str()
            } else {
                ""
            };
            metrics::histogram!(
                names::HTTP_SERVER_DURATION,
                names::label::METHOD => method,
                names::label::ROUTE => route.clone(),
                names::label::STATUS => code.as_str().to_owned(),
                names::label::ERROR_TYPE => error_type.to_owned(),
            )
        })
        .record(started.elapsed().as_secs_f64());
    response.into_response()
}

/// The deadline for this request. A service with a deadline of its own
/// (`request_deadline_ms`: the gateway's promise to users) is the lab's edge:
/// it keeps its own promise and ignores a deadline header sent from outside
/// (a client's `x-request-deadline-ms: 0` must not turn every answer into a
/// 504). Other services adopt the caller's deadline when propagation is on.
fn request_deadline(ctx: &ServiceCtx, req: &Request) -> Option<tokio::time::Instant> {
    let settings = ctx.settings();
    if let Some(ms) = settings.request_deadline_ms.filter(|ms| *ms > 0) {
        return tokio::time::Instant::now().checked_add(std::time::Duration::from_millis(ms));
    }
    if settings.propagate_deadline {
        deadline::from_header(req.headers().get(deadline::HEADER))
    } else {
        None
    }
}
