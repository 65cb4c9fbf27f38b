//! One HTTP call of a journey: the URL under the target, the client span
//! with its context in `traceparent`, the bearer token, and the status
//! classified as an outcome.

use super::{ShopClient, Step};
use crate::journey::Outcome;
use axum::body::Bytes;
use chaoslab_kit::http::propagation;
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::Value;
use tracing::{Span, field::Empty, info_span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

impl ShopClient {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send_as(
        &self,
        root: &Span,
        method: Method,
        path: &str,
        route: &str,
        token: &str,
        mut headers: HeaderMap,
        body: Option<Value>,
    ) -> Step<(u16, Bytes)> {
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
            headers.insert(header::AUTHORIZATION, v);
        }
        self.request(root, method, path, route, headers, body).await
    }

    /// One call without a token: its 2xx body, or the outcome its status means.
    pub(super) async fn send(
        &self,
        root: &Span,
        method: Method,
        path: &str,
        route: &str,
        body: Option<Value>,
    ) -> Step<Bytes> {
        let (status, reply) = self
            .request(root, method, path, route, HeaderMap::new(), body)
            .await?;
        classify(status, reply)
    }

    /// One HTTP call as a client span under `root`; a transport failure is
    /// `error` (or `timeout`), any status is returned with its body (parsed
    /// only by the steps that need it).
    async fn request(
        &self,
        root: &Span,
        method: Method,
        path: &str,
        route: &str,
        mut headers: HeaderMap,
        body: Option<Value>,
    ) -> Step<(u16, Bytes)> {
        let span = info_span!(parent: root, "http request",
            otel.name = %format_args!("{method} {route}"),
            otel.kind = "client",
            http.request.method = %method,
            url.path = path,
            http.response.status_code = Empty,
            otel.status_code = Empty,
        );
        propagation::inject(&span.context(), &mut headers);
        let mut req = self
            .http
            .request(method, self.url(path).ok_or(Outcome::Error)?)
            .headers(headers);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer = async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        };
        match tracing::Instrument::instrument(answer, span.clone()).await {
            Ok((status, bytes)) => {
                span.record("http.response.status_code", status);
                if status >= 500 {
                    span.record("otel.status_code", "ERROR");
                }
                Ok((status, bytes))
            }
            Err(e) => {
                span.record("otel.status_code", "ERROR");
                tracing::debug!(parent: &span, error = %e, "request failed");
                Err(if e.is_timeout() {
                    Outcome::Timeout
                } else {
                    Outcome::Error
                })
            }
        }
    }

    pub(super) fn url(&self, path: &str) -> Option<reqwest::Url> {
        let mut url = self.base.clone()?;
        if self.prefix.is_empty() {
            url.set_path(path);
        } else {
            url.set_path(&format!("{}{path}", self.prefix));
        }
        Some(url)
    }
}

/// A 2xx body, or the outcome that its status means.
pub(super) fn classify(status: u16, body: Bytes) -> Step<Bytes> {
    match Outcome::from_status(status) {
        Outcome::Success => Ok(body),
        other => Err(other),
    }
}
