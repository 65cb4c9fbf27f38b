//! The outgoing client: every call from one service to another goes through
//! [`Upstream::call`], which applies the dependency's resilience policy,
//! carries the trace context and the deadline, and records the client metrics.
//!
//! ```text
//!  handler ──Upstream::call──> resilience (bulkhead, breaker, retry, timeout)
//!                                  └─ per attempt: client span + traceparent
//!                                     + deadline header ──reqwest──> proxy ──> callee
//! ```

use super::{deadline, propagation};
use crate::{faults::Faults, metric_handles::Handles, names};
use chaoslab_resilience::{CallErrorKind, CallOptions, Dependency, Failure};
use http::{HeaderMap, Method, StatusCode};
use opentelemetry::{
    Context, KeyValue,
    global::BoxedTracer,
    trace::{SpanKind, Status, TraceContextExt, Tracer},
};
use serde_json::Value;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

/// One request to a dependency.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// The concrete path, e.g. `/stock/7`.
    pub path: String,
    /// The route template, e.g. `/stock/{id}`, for span names and metrics.
    pub route: &'static str,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
    /// Safe to retry: idempotent, or carries an `Idempotency-Key`.
    pub retryable: bool,
}

impl Call {
    pub fn get(path: impl Into<String>, route: &'static str) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            route,
            body: None,
            headers: vec![],
            retryable: true,
        }
    }
    pub fn post(path: impl Into<String>, route: &'static str, body: Value) -> Self {
        Self {
            method: Method::POST,
            path: path.into(),
            route,
            body: Some(body),
            headers: vec![],
            retryable: false,
        }
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    pub fn retryable(mut self, yes: bool) -> Self {
        self.retryable = yes;
        self
    }
}

/// An answer below 500: the caller decides what a 4xx means.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

/// Why a call failed, as the caller sees it.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{dependency} answered {status}")]
    Status {
        dependency: String,
        status: StatusCode,
        body: Value,
    },
    #[error("{dependency} unreachable: {message}")]
    Transport { dependency: String, message: String },
    #[error("{dependency} timed out")]
    Timeout { dependency: String },
    #[error("{dependency}: circuit open")]
    CircuitOpen { dependency: String },
    #[error("{dependency}: bulkhead full")]
    BulkheadFull { dependency: String },
}

/// One failed attempt, classified for the resilience kit.
#[derive(Debug)]
enum Attempt {
    Status(StatusCode, Value),
    Transport(String),
}

impl Failure for Attempt {
    fn is_failure(&self) -> bool {
        true
    }
}

/// A dependency as the calling service sees it: where it lives, its policy,
/// and the HTTP client.
pub struct Upstream {
    name: String,
    base: String,
    dep: Arc<Dependency>,
    faults: Arc<Faults>,
    http: reqwest::Client,
    /// Makes the client spans, through the OpenTelemetry API as the
    /// server's are (see [`super::server`]).
    tracer: BoxedTracer,
    /// `http_client_request_duration_seconds` handles for this callee.
    durations: Handles<metrics::Histogram>,
}

impl Upstream {
    pub fn new(dep: Arc<Dependency>, base_url: &str, faults: Arc<Faults>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self {
            name: dep.name().to_string(),
            base: base_url.trim_end_matches('/').into(),
            dep,
            faults,
            http,
            tracer: crate::telemetry::tracer(),
            durations: Handles::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dependency(&self) -> &Arc<Dependency> {
        &self.dep
    }

    /// Runs `call` under the dependency's policy.
    pub async fn call(&self, call: Call) -> Result<Reply, UpstreamError> {
        let opts = CallOptions {
            retryable: call.retryable,
            deadline: deadline::current(),
        };
        let result = self
            .dep
            .call(opts, |attempt| self.attempt(&call, attempt))
            .await;
        let dependency = self.name.clone();
        result.map_err(|e| match e.kind {
            CallErrorKind::Timeout => UpstreamError::Timeout { dependency },
            CallErrorKind::CircuitOpen => UpstreamError::CircuitOpen { dependency },
            CallErrorKind::BulkheadFull => UpstreamError::BulkheadFull { dependency },
            CallErrorKind::Inner(Attempt::Status(status, body)) => UpstreamError::Status {
                dependency,
                status,
                body,
            },
            CallErrorKind::Inner(Attempt::Transport(message)) => UpstreamError::Transport {
                dependency,
                message,
            },
        })
    }

    async fn attempt(&self, call: &Call, attempt: u32) -> Result<Reply, Attempt> {
        let _permit = self.faults.pool_permit(&self.name).await;
        let url = format!("{}{}", self.base, call.path);
        let parent = Context::current();
        let span = self
            .tracer
            .span_builder(format!("{} {}{}", call.method, self.name, call.route))
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new(names::span::PEER_SERVICE, self.name.clone()),
                KeyValue::new(
                    names::span::HTTP_METHOD,
                    names::http_method(call.method.as_str()),
                ),
                KeyValue::new(names::span::URL_FULL, url.clone()),
                KeyValue::new(names::span::HTTP_RESEND_COUNT, i64::from(attempt)),
            ])
            .start_with_context(&self.tracer, &parent);
        // Ended when the attempt is, also when a timeout drops it.
        let cx = parent.with_span(span);
        let mut headers = HeaderMap::new();
        propagation::inject(&cx, &mut headers);
        if let Some(at) = deadline::current() {
            headers.insert(deadline::HEADER, deadline::remaining_ms(at).into());
        }
        for (k, v) in &call.headers {
            if let Ok(v) = v.parse() {
                headers.insert(*k, v);
            }
        }
        let mut req = self.http.request(call.method.clone(), url).headers(headers);
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        let mut record = ClientMetric::start(
            &self.durations,
            &self.name,
            names::http_method(call.method.as_str()),
        );
        let span = cx.span();
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                record.finish("", &error_kind(&e));
                span.set_status(Status::error(""));
                return Err(Attempt::Transport(e.to_string()));
            }
        };
        let status = resp.status();
        span.set_attribute(KeyValue::new(
            names::span::HTTP_STATUS,
            i64::from(status.as_u16()),
        ));
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_server_error() {
            span.set_status(Status::error(""));
            record.finish(status.as_str(), status.as_str());
            Err(Attempt::Status(status, body))
        } else {
            record.finish(status.as_str(), "");
            Ok(Reply { status, body })
        }
    }
}

fn error_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else {
        "transport".into()
    }
}

/// Records `http_client_request_duration_seconds` once per attempt, also when
/// the attempt is dropped by a timeout (then `error_type="timeout"`).
struct ClientMetric<'a> {
    /// The callee's handles, by method, status and error kind.
    handles: &'a Handles<metrics::Histogram>,
    callee: &'a str,
    method: &'a str,
    started: Instant,
    done: bool,
}

impl<'a> ClientMetric<'a> {
    fn start(handles: &'a Handles<metrics::Histogram>, callee: &'a str, method: &'a str) -> Self {
        Self {
            handles,
            callee,
            method,
            started: Instant::now(),
            done: false,
        }
    }
    fn finish(&mut self, status: &str, error: &str) {
        self.done = true;
        self.handles
            .get(&[self.method, status, error], || {
                metrics::histogram!(
                    names::HTTP_CLIENT_DURATION,
                    names::label::METHOD => self.method.to_owned(),
                    names::label::SERVER_ADDRESS => self.callee.to_owned(),
                    names::label::STATUS => status.to_owned(),
                    names::label::ERROR_TYPE => error.to_owned(),
                )
            })
            .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for ClientMetric<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.finish("", "timeout");
        }
    }
}
