//! One typed client per API, over one HTTP core so that every failure reads
//! the same: `POST http://…/chaos/proxies/x/faults: status must be within
//! 400..=599, got 200 (HTTP 400)`, quoting the server's own JSON message.
//!
//! - [`AgentClient`]: the chaos agent (Toxiproxy's API and `/chaos`).
//! - [`HubClient`]: the hub's query API.
//! - [`AdminClient`]: a service's `/admin` API.
//! - [`LoadClient`]: the load generator's `/load`.

pub mod admin;
pub mod agent;
pub mod hub;
pub mod load;

pub use admin::AdminClient;
pub use agent::{AgentClient, DownHow, ToxicAdded};
pub use hub::{HubClient, LogQuery, MetricQuery, TraceQuery};
pub use load::LoadClient;

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What can go wrong calling one of the lab's APIs.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error; `message` is its own words (the
    /// `error` field of its JSON body, with the `reason` when it has one).
    #[error("{call}: {message} (HTTP {status})")]
    Api {
        call: String,
        status: u16,
        message: String,
        /// Whether the body was the API's JSON error (a missing route is not).
        json: bool,
    },
    /// The server could not be reached, or its answer could not be read.
    #[error("{call}: {reason}")]
    Transport { call: String, reason: String },
    /// The base URL does not parse.
    #[error("invalid url {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
}

impl ClientError {
    /// The HTTP status, for errors the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's message (or the transport's reason).
    pub fn message(&self) -> &str {
        match self {
            ClientError::Api { message, .. } => message,
            ClientError::Transport { reason, .. } | ClientError::BadUrl { reason, .. } => reason,
        }
    }

    /// The call that failed, e.g. `POST http://127.0.0.1:8474/reset`.
    pub fn call(&self) -> &str {
        match self {
            ClientError::Api { call, .. } | ClientError::Transport { call, .. } => call,
            ClientError::BadUrl { url, .. } => url,
        }
    }

    /// A 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The server has no such route (a 404 without the API's JSON error, or
    /// a 405): e.g. plain Toxiproxy asked for a `/chaos` extension.
    pub fn is_no_route(&self) -> bool {
        matches!(
            self,
            ClientError::Api {
                status: 404,
                json: false,
                ..
            }
        ) || self.status() == Some(405)
    }

    /// The server could not be reached at all.
    pub fn is_transport(&self) -> bool {
        matches!(self, ClientError::Transport { .. })
    }
}

/// Result of a client call.
pub type Result<T> = std::result::Result<T, ClientError>;

/// The HTTP core every client uses: a base URL, a bearer token for changes,
/// and one way to read answers and errors.
#[derive(Debug, Clone)]
pub(crate) struct Core {
    base: String,
    token: Option<String>,
    /// Per request; a call may give its own.
    timeout: Duration,
    http: reqwest::Client,
}

/// The HTTP client every [`Core`] shares (its connection pool, TLS set-up),
/// built once: a client built per call costs more than a loopback call.
fn shared_http() -> reqwest::Client {
    static HTTP: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
        reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .build()
            .unwrap_or_default()
    });
    HTTP.clone()
}

/// The user agent of every client.
const USER_AGENT: &str = concat!("chaoslab/", env!("CARGO_PKG_VERSION"));

impl Core {
    pub(crate) fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token: None,
            timeout,
            http: shared_http(),
        }
    }

    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    pub(crate) fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: Method, path: &str) -> (String, RequestBuilder) {
        let url = self.url(path);
        let call = format!("{method} {url}");
        let req = self.http.request(method, url).timeout(self.timeout);
        let req = match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        };
        (call, req)
    }

    /// Sends a request; a non-success answer is [`ClientError::Api`].
    pub(crate) async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        timeout: Option<Duration>,
    ) -> Result<Response> {
        let (call, mut req) = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req.send().await.map_err(|e| transport(&call, &e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        let (message, json) = error_message(&text);
        Err(ClientError::Api {
            call,
            status: status.as_u16(),
            message,
            json,
        })
    }

    /// A JSON answer.
    pub(crate) async fn json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        let call = format!("{method} {}", self.url(path));
        let resp = self.send(method, path, body, None).await?;
        let text = resp.text().await.map_err(|e| transport(&call, &e))?;
        serde_json::from_str(&text).map_err(|e| ClientError::Transport {
            call,
            reason: format!("unexpected answer: {e}"),
        })
    }

    /// `GET` with a JSON answer.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.json::<(), T>(Method::GET, path, None).await
    }

    /// A call whose answer body does not matter.
    pub(crate) async fn empty<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<()> {
        self.send(method, path, body, None).await.map(drop)
    }
}

/// The `error` field of a JSON error body (with its `reason` when it has
/// one, as the services answer), else the body itself, shortened; and
/// whether the body was such a JSON error.
fn error_message(text: &str) -> (String, bool) {
    let body = serde_json::from_str::<Value>(text).ok();
    if let Some(e) = body
        .as_ref()
        .and_then(|b| b.get("error"))
        .and_then(Value::as_str)
    {
        let reason = body
            .as_ref()
            .and_then(|b| b.get("reason"))
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty());
        let message = match reason {
            Some(r) => format!("{e}: {r}"),
            None => e.to_string(),
        };
        return (message, true);
    }
    (text.trim().chars().take(200).collect(), false)
}

/// A transport error with its causes, which reqwest keeps in the source chain.
fn transport(call: &str, e: &reqwest::Error) -> ClientError {
    let mut reason = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    ClientError::Transport {
        call: call.to_string(),
        reason,
    }
}

/// Percent-encodes one path segment.
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
