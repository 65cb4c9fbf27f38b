//! The server-side layer on every business route: trace context in, a server
//! span, the semantic-convention metrics, deadlines, and the in-service faults
//! that act on requests (added latency, error rate).

use super::{deadline, propagation};
use crate::{context::ServiceCtx, names};
use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{sync::Arc, time::Instant};
use tracing::{Instrument, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// `axum::middleware::from_fn_with_state(ctx, observe)`, added with
/// `Router::route_layer` so the route template is known.
pub async fn observe(State(ctx): State<Arc<ServiceCtx>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());

    let span = tracing::info_span!(
        "HTTP request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method.as_str(),
        http.route = route.as_str(),
        http.response.status_code = Empty,
    );
    let _ = span.set_parent(propagation::extract(req.headers()));

    let deadline = request_deadline(&ctx, &req);
    let active = metrics::gauge!(names::HTTP_SERVER_ACTIVE, names::label::METHOD => method.clone());
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
    .instrument(span.clone())
    .await;
    active.decrement(1.0);

    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    let error_type = if status >= 500 {
        status.to_string()
    } else {
        String::new()
    };
    metrics::histogram!(
        names::HTTP_SERVER_DURATION,
        names::label::METHOD => method,
        names::label::ROUTE => route,
        names::label::STATUS => status.to_string(),
        names::label::ERROR_TYPE => error_type,
    )
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
