//! A typed async client for the agent's whole API: Toxiproxy's calls and the
//! `/chaos` extensions. Errors carry the server's message and status.
//!
//! ```no_run
//! # async fn demo() -> Result<(), chaoslab_chaos::client::ClientError> {
//! use chaoslab_chaos::client::Client;
//! use chaoslab_chaos::{ProxySpec, ToxicSpec};
//! let agent = Client::new("http://127.0.0.1:8474");
//! agent.create_proxy(&ProxySpec::new("redis", "127.0.0.1:26379", "127.0.0.1:6379")).await?;
//! agent.add_toxic("redis", &ToxicSpec::new("latency", serde_json::json!({"latency": 100}))).await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::agent::ActiveFault;
use crate::faults::http::HttpFaultSpec;
use crate::faults::process::ProcessFaultSpec;
use crate::views::{ProxyPatch, ProxySpec, ProxyView, ToxicPatch, ToxicSpec, ToxicView};

/// What can go wrong calling the agent.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The agent answered with an error.
    #[error("{message} (HTTP {status})")]
    Api { status: u16, message: String },
    /// The agent could not be reached, or its answer could not be read.
    #[error("agent request failed: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The HTTP status, for errors the agent answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::Transport(e) => e.status().map(|s| s.as_u16()),
        }
    }
}

/// Result of a client call.
pub type Result<T> = std::result::Result<T, ClientError>;

/// A client for one agent.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// A client for the agent at `base_url` (e.g. `http://127.0.0.1:8474`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base: base_url.into().trim_end_matches('/').to_string(),
            token: None,
            http: reqwest::Client::builder()
                .user_agent(concat!("chaoslab/", env!("CARGO_PKG_VERSION")))
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Send this bearer token with every call.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    }

    async fn send(&self, req: RequestBuilder) -> Result<reqwest::Response> {
        let resp = req.send().await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| text.trim().to_string());
        Err(ClientError::Api {
            status: status.as_u16(),
            message,
        })
    }

    async fn json<T: DeserializeOwned>(&self, method: Method, path: &str) -> Result<T> {
        Ok(self.send(self.request(method, path)).await?.json().await?)
    }

    async fn json_with<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        Ok(self
            .send(self.request(method, path).json(body))
            .await?
            .json()
            .await?)
    }

    async fn empty(&self, method: Method, path: &str) -> Result<()> {
        self.send(self.request(method, path)).await?;
        Ok(())
    }

    // ---- Toxiproxy ----

    /// `GET /version`.
    pub async fn version(&self) -> Result<String> {
        let v: Value = self.json(Method::GET, "/version").await?;
        Ok(v["version"].as_str().unwrap_or_default().to_string())
    }

    /// `GET /proxies`.
    pub async fn proxies(&self) -> Result<BTreeMap<String, ProxyView>> {
        self.json(Method::GET, "/proxies").await
    }

    /// `POST /proxies`.
    pub async fn create_proxy(&self, spec: &ProxySpec) -> Result<ProxyView> {
        self.json_with(Method::POST, "/proxies", spec).await
    }

    /// `POST /populate`.
    pub async fn populate(&self, specs: &[ProxySpec]) -> Result<Vec<ProxyView>> {
        let v: Value = self.json_with(Method::POST, "/populate", specs).await?;
        Ok(serde_json::from_value(v["proxies"].clone()).unwrap_or_default())
    }

    /// `GET /proxies/{name}`.
    pub async fn proxy(&self, name: &str) -> Result<ProxyView> {
        self.json(Method::GET, &format!("/proxies/{name}")).await
    }

    /// `PATCH /proxies/{name}`.
    pub async fn update_proxy(&self, name: &str, patch: &ProxyPatch) -> Result<ProxyView> {
        self.json_with(Method::PATCH, &format!("/proxies/{name}"), patch)
            .await
    }

    /// Take a proxy down (`enabled: false`) or bring it back up.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<ProxyView> {
        let patch = ProxyPatch {
            enabled: Some(enabled),
            ..ProxyPatch::default()
        };
        self.update_proxy(name, &patch).await
    }

    /// `DELETE /proxies/{name}`.
    pub async fn delete_proxy(&self, name: &str) -> Result<()> {
        self.empty(Method::DELETE, &format!("/proxies/{name}"))
            .await
    }

    /// `GET /proxies/{proxy}/toxics`.
    pub async fn toxics(&self, proxy: &str) -> Result<Vec<ToxicView>> {
        self.json(Method::GET, &format!("/proxies/{proxy}/toxics"))
            .await
    }

    /// `POST /proxies/{proxy}/toxics`.
    pub async fn add_toxic(&self, proxy: &str, spec: &ToxicSpec) -> Result<ToxicView> {
        self.json_with(Method::POST, &format!("/proxies/{proxy}/toxics"), spec)
            .await
    }

    /// `GET /proxies/{proxy}/toxics/{name}`.
    pub async fn toxic(&self, proxy: &str, name: &str) -> Result<ToxicView> {
        self.json(Method::GET, &format!("/proxies/{proxy}/toxics/{name}"))
            .await
    }

    /// `PATCH /proxies/{proxy}/toxics/{name}`.
    pub async fn update_toxic(
        &self,
        proxy: &str,
        name: &str,
        patch: &ToxicPatch,
    ) -> Result<ToxicView> {
        self.json_with(
            Method::PATCH,
            &format!("/proxies/{proxy}/toxics/{name}"),
            patch,
        )
        .await
    }

    /// `DELETE /proxies/{proxy}/toxics/{name}`.
    pub async fn remove_toxic(&self, proxy: &str, name: &str) -> Result<()> {
        self.empty(Method::DELETE, &format!("/proxies/{proxy}/toxics/{name}"))
            .await
    }

    /// `POST /reset`.
    pub async fn reset(&self) -> Result<()> {
        self.empty(Method::POST, "/reset").await
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> Result<String> {
        Ok(self
            .send(self.request(Method::GET, "/metrics"))
            .await?
            .text()
            .await?)
    }

    // ---- /chaos extensions ----

    /// `POST /chaos/proxies/{proxy}/toxics`: a toxic that removes itself after `duration`.
    pub async fn add_toxic_for(
        &self,
        proxy: &str,
        spec: &ToxicSpec,
        duration: Duration,
    ) -> Result<ToxicView> {
        let mut body = serde_json::to_value(spec).unwrap_or_default();
        body["duration_ms"] = Value::from(duration.as_millis() as u64);
        self.json_with(
            Method::POST,
            &format!("/chaos/proxies/{proxy}/toxics"),
            &body,
        )
        .await
    }

    /// `POST /chaos/proxies/{proxy}/faults`.
    pub async fn add_http_fault(&self, proxy: &str, spec: &HttpFaultSpec) -> Result<ActiveFault> {
        self.json_with(
            Method::POST,
            &format!("/chaos/proxies/{proxy}/faults"),
            spec,
        )
        .await
    }

    /// `POST /chaos/proxies/{proxy}/down`: the proxy stops listening, for
    /// `duration` (then it listens again by itself) or until the fault is removed.
    pub async fn proxy_down(&self, proxy: &str, duration: Option<Duration>) -> Result<ActiveFault> {
        let body = match duration {
            Some(d) => serde_json::json!({"duration_ms": d.as_millis() as u64}),
            None => serde_json::json!({}),
        };
        self.json_with(Method::POST, &format!("/chaos/proxies/{proxy}/down"), &body)
            .await
    }

    /// `POST /chaos/process/{service}`.
    pub async fn process_fault(
        &self,
        service: &str,
        spec: &ProcessFaultSpec,
    ) -> Result<ActiveFault> {
        self.json_with(Method::POST, &format!("/chaos/process/{service}"), spec)
            .await
    }

    /// `POST /chaos/services/{service}/faults`: answers what the service answered.
    pub async fn service_fault(&self, service: &str, body: &Value) -> Result<Value> {
        self.json_with(
            Method::POST,
            &format!("/chaos/services/{service}/faults"),
            body,
        )
        .await
    }

    /// `GET /chaos/faults`.
    pub async fn faults(&self) -> Result<Vec<ActiveFault>> {
        self.json(Method::GET, "/chaos/faults").await
    }

    /// `DELETE /chaos/faults/{id}`.
    pub async fn remove_fault(&self, id: &str) -> Result<()> {
        self.empty(Method::DELETE, &format!("/chaos/faults/{id}"))
            .await
    }

    /// `DELETE /chaos/faults`.
    pub async fn clear_faults(&self) -> Result<()> {
        self.empty(Method::DELETE, "/chaos/faults").await
    }

    /// Whether the agent answers at all (`GET /version`), for readiness checks.
    pub async fn ping(&self) -> bool {
        matches!(
            self.request(Method::GET, "/version")
                .send()
                .await
                .map(|r| r.status()),
            Ok(StatusCode::OK)
        )
    }
}
