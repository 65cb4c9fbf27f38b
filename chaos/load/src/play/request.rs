//! One step as an HTTP call: the request built from the step with its
//! placeholders filled, the URL under the target, the client span with its
//! context in `traceparent`, and a transport failure classified.

use super::StepError;
use crate::outcome::Outcome;
use axum::body::Bytes;
use chaoslab_contract::{Step, Template, TemplatePart};
use chaoslab_kit::http::propagation;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::Value;
use std::time::Duration;
use tracing::{Span, field::Empty, info_span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A step's request with every placeholder filled.
pub(super) struct Request {
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
}

impl Request {
    /// Fills the step's path, header values and body strings with `fill`.
    pub(super) fn build(step: &Step, fill: &mut dyn FnMut(&TemplatePart) -> Value) -> Self {
        Self {
            path: step.path.render(fill),
            headers: step
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.render(fill)))
                .collect(),
            body: step.body.as_ref().map(|b| fill_body(b, fill)),
        }
    }
}

/// A body with its strings filled; a string that is one placeholder takes
/// the value's JSON type. The file was checked, so every string parses.
fn fill_body(v: &Value, fill: &mut dyn FnMut(&TemplatePart) -> Value) -> Value {
    match v {
        Value::String(s) => match Template::parse(s) {
            Ok(t) => match t.whole() {
                Some(p) => fill(p),
                None => Value::String(t.render(fill)),
            },
            Err(_) => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_body(x, fill)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), fill_body(x, fill)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The HTTP client of the entry service.
pub(super) struct Http {
    client: reqwest::Client,
    /// The entry's URL, parsed once: each request only sets its path.
    base: Option<reqwest::Url>,
    /// Path prefix of the target URL, if it has one.
    prefix: String,
}

impl Http {
    pub(super) fn new(base: Option<reqwest::Url>, max_in_flight: usize, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(max_in_flight)
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        Self {
            client,
            prefix: base
                .as_ref()
                .map(|b| b.path().trim_end_matches('/').to_string())
                .unwrap_or_default(),
            base,
        }
    }

    /// Sends `req` as a client span under `root`: the status and body, or
    /// `error` (`timeout`) when no answer came.
    pub(super) async fn send(
        &self,
        root: &Span,
        step: &Step,
        req: Request,
    ) -> Result<(u16, Bytes), StepError> {
        let transport = |outcome| StepError {
            outcome,
            status: None,
        };
        let method =
            Method::from_bytes(step.method.as_bytes()).map_err(|_| transport(Outcome::Error))?;
        let span = info_span!(parent: root, "http request",
            otel.name = %format_args!("{method} {}", step.route),
            otel.kind = "client",
            http.request.method = %method,
            url.path = %req.path,
            http.response.status_code = Empty,
            otel.status_code = Empty,
        );
        let mut headers = HeaderMap::new();
        for (k, v) in &req.headers {
            let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) else {
                tracing::debug!(parent: &span, header = %k, "header not sendable");
                return Err(transport(Outcome::Error));
            };
            headers.insert(k, v);
        }
        propagation::inject(&span.context(), &mut headers);
        let url = self.url(&req.path).ok_or(transport(Outcome::Error))?;
        let mut builder = self.client.request(method, url).headers(headers);
        if let Some(b) = &req.body {
            builder = builder.json(b);
        }
        let answer = async {
            let resp = builder.send().await?;
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
                Err(transport(if e.is_timeout() {
                    Outcome::Timeout
                } else {
                    Outcome::Error
                }))
            }
        }
    }

    fn url(&self, path: &str) -> Option<reqwest::Url> {
        let mut url = self.base.clone()?;
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        if self.prefix.is_empty() {
            url.set_path(path);
        } else {
            url.set_path(&format!("{}{path}", self.prefix));
        }
        url.set_query(query);
        Some(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(target: &str) -> Http {
        Http::new(reqwest::Url::parse(target).ok(), 4, Duration::from_secs(1))
    }

    #[test]
    fn paths_go_under_the_target_url() {
        let url = |t: &str, p: &str| http(t).url(p).map(|u| u.to_string());
        assert_eq!(
            url("http://127.0.0.1:8080", "/api/products").unwrap(),
            "http://127.0.0.1:8080/api/products"
        );
        assert_eq!(
            url("http://h:1/base/", "/api/products?page=2").unwrap(),
            "http://h:1/base/api/products?page=2"
        );
        assert_eq!(url("not a url", "/x"), None);
    }
}
