//! The chaos agent's client: Toxiproxy's calls and the `/chaos` extensions.
//! The dashboard, the runner, the CLI, the supervisor and the tests use it;
//! the bodies are [`crate::wire::agent`] and [`crate::wire::faults`].
//!
//! ```no_run
//! # async fn demo() -> chaoslab_contract::client::Result<()> {
//! use chaoslab_contract::client::AgentClient;
//! use chaoslab_contract::wire::agent::{ProxySpec, ToxicSpec};
//! let agent = AgentClient::new("http://127.0.0.1:8474");
//! agent.create_proxy(&ProxySpec::new("redis", "127.0.0.1:26379", "127.0.0.1:6379")).await?;
//! agent.add_toxic("redis", &ToxicSpec::new("latency", serde_json::json!({"latency": 100}))).await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::{ClientError, Core, Result, segment};
use crate::wire::admin::{FaultView, ServiceFaultRequest};
use crate::wire::agent::{
    Populated, ProxyPatch, ProxySpec, ProxyView, ToxicPatch, ToxicSpec, ToxicView, Version,
};
use crate::wire::faults::{ActiveFault, DownSpec, ProcessFaultSpec, TimedToxic};
use crate::wire::http_fault::HttpFaultSpec;

/// The environment variable holding the agent's bearer token (the agent's
/// own `--token` reads the same one).
pub const TOKEN_ENV: &str = "CHAOSLAB_AGENT_TOKEN";

/// How a toxic was added, which decides how it is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToxicAdded {
    /// Through `/chaos/proxies/{p}/toxics`: it removes itself when its
    /// duration ends.
    WithDuration,
    /// Through Toxiproxy's own API (an agent without the extension): it
    /// stays until removed.
    Plain,
}

/// How a proxy was taken down, which decides how it comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownHow {
    /// Through `/chaos/proxies/{p}/down`: a fault with this id that brings
    /// the proxy back up by itself when its duration ends.
    Timed { id: String },
    /// Through Toxiproxy's `enabled: false`: down until brought back up.
    Plain,
}

/// A client for one agent. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AgentClient {
    core: Core,
}

impl AgentClient {
    /// A client for the agent at `base_url` (e.g. `http://127.0.0.1:8474`),
    /// with a 30 s timeout per call.
    pub fn new(base_url: &str) -> Self {
        Self {
            core: Core::new(base_url, Duration::from_secs(30)),
        }
    }

    /// The same client with another timeout per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.core = self.core.with_timeout(timeout);
        self
    }

    /// The same client with a caller-built reqwest client.
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.core = self.core.with_http(http);
        self
    }

    /// Send this bearer token with every call.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.core = self.core.with_token(Some(token.into()));
        self
    }

    /// Send the token of [`TOKEN_ENV`], when it is set.
    pub fn with_env_token(mut self) -> Self {
        self.core = self.core.with_token(std::env::var(TOKEN_ENV).ok());
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.core.base()
    }

    // ---- Toxiproxy ----

    /// `GET /version`.
    pub async fn version(&self) -> Result<String> {
        Ok(self.core.get::<Version>("/version").await?.version)
    }

    /// `GET /proxies`.
    pub async fn proxies(&self) -> Result<BTreeMap<String, ProxyView>> {
        self.core.get("/proxies").await
    }

    /// `POST /proxies`.
    pub async fn create_proxy(&self, spec: &ProxySpec) -> Result<ProxyView> {
        self.core.json(Method::POST, "/proxies", Some(spec)).await
    }

    /// `POST /populate`.
    pub async fn populate(&self, specs: &[ProxySpec]) -> Result<Vec<ProxyView>> {
        let p: Populated = self
            .core
            .json(Method::POST, "/populate", Some(specs))
            .await?;
        Ok(p.proxies)
    }

    /// `GET /proxies/{name}`.
    pub async fn proxy(&self, name: &str) -> Result<ProxyView> {
        self.core.get(&format!("/proxies/{}", segment(name))).await
    }

    /// `POST /proxies/{name}` (Toxiproxy's update; `PATCH` does the same).
    pub async fn update_proxy(&self, name: &str, patch: &ProxyPatch) -> Result<ProxyView> {
        let path = format!("/proxies/{}", segment(name));
        self.core.json(Method::POST, &path, Some(patch)).await
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
        let path = format!("/proxies/{}", segment(name));
        self.core.empty::<()>(Method::DELETE, &path, None).await
    }

    /// `GET /proxies/{proxy}/toxics`.
    pub async fn toxics(&self, proxy: &str) -> Result<Vec<ToxicView>> {
        self.core
            .get(&format!("/proxies/{}/toxics", segment(proxy)))
            .await
    }

    /// `POST /proxies/{proxy}/toxics`.
    pub async fn add_toxic(&self, proxy: &str, spec: &ToxicSpec) -> Result<ToxicView> {
        let path = format!("/proxies/{}/toxics", segment(proxy));
        self.core.json(Method::POST, &path, Some(spec)).await
    }

    /// `GET /proxies/{proxy}/toxics/{name}`.
    pub async fn toxic(&self, proxy: &str, name: &str) -> Result<ToxicView> {
        self.core
            .get(&format!(
                "/proxies/{}/toxics/{}",
                segment(proxy),
                segment(name)
            ))
            .await
    }

    /// `POST /proxies/{proxy}/toxics/{name}` (an update).
    pub async fn update_toxic(
        &self,
        proxy: &str,
        name: &str,
        patch: &ToxicPatch,
    ) -> Result<ToxicView> {
        let path = format!("/proxies/{}/toxics/{}", segment(proxy), segment(name));
        self.core.json(Method::POST, &path, Some(patch)).await
    }

    /// `DELETE /proxies/{proxy}/toxics/{name}`.
    pub async fn remove_toxic(&self, proxy: &str, name: &str) -> Result<()> {
        let path = format!("/proxies/{}/toxics/{}", segment(proxy), segment(name));
        self.core.empty::<()>(Method::DELETE, &path, None).await
    }

    /// `POST /reset`: every toxic removed, every proxy enabled.
    pub async fn reset(&self) -> Result<()> {
        self.core.empty::<()>(Method::POST, "/reset", None).await
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> Result<String> {
        let resp = self
            .core
            .send::<()>(Method::GET, "/metrics", None, None)
            .await?;
        resp.text().await.map_err(|e| ClientError::Transport {
            call: format!("GET {}", self.core.url("/metrics")),
            reason: e.to_string(),
        })
    }

    // ---- /chaos extensions ----

    /// `POST /chaos/proxies/{proxy}/toxics`: a toxic that removes itself
    /// after `duration`.
    pub async fn add_toxic_for(
        &self,
        proxy: &str,
        spec: &ToxicSpec,
        duration: Duration,
    ) -> Result<ToxicView> {
        let body = TimedToxic {
            toxic: spec.clone(),
            duration_ms: Some(duration.as_millis() as u64),
        };
        let path = format!("/chaos/proxies/{}/toxics", segment(proxy));
        self.core.json(Method::POST, &path, Some(&body)).await
    }

    /// A toxic for `duration`: through the `/chaos` extension, so it ends by
    /// itself even if the caller dies; through plain Toxiproxy (it then
    /// stays until removed) when the agent has no extension.
    pub async fn add_toxic_timed(
        &self,
        proxy: &str,
        spec: &ToxicSpec,
        duration: Duration,
    ) -> Result<ToxicAdded> {
        match self.add_toxic_for(proxy, spec, duration).await {
            Ok(_) => Ok(ToxicAdded::WithDuration),
            Err(e) if e.is_no_route() => {
                self.add_toxic(proxy, spec).await?;
                Ok(ToxicAdded::Plain)
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /chaos/proxies/{proxy}/faults`.
    pub async fn add_http_fault(&self, proxy: &str, spec: &HttpFaultSpec) -> Result<ActiveFault> {
        let path = format!("/chaos/proxies/{}/faults", segment(proxy));
        self.core.json(Method::POST, &path, Some(spec)).await
    }

    /// `POST /chaos/proxies/{proxy}/down`: the proxy stops listening, for
    /// `duration` (then it listens again by itself) or until the fault is removed.
    pub async fn proxy_down(&self, proxy: &str, duration: Option<Duration>) -> Result<ActiveFault> {
        let body = DownSpec {
            duration_ms: duration.map(|d| d.as_millis() as u64),
        };
        let path = format!("/chaos/proxies/{}/down", segment(proxy));
        self.core.json(Method::POST, &path, Some(&body)).await
    }

    /// A proxy down for `duration`: a timed `down` fault when the agent has
    /// the extension, Toxiproxy's `enabled: false` otherwise.
    pub async fn take_down(&self, proxy: &str, duration: Duration) -> Result<DownHow> {
        match self.proxy_down(proxy, Some(duration)).await {
            Ok(f) => Ok(DownHow::Timed { id: f.id }),
            Err(e) if e.is_no_route() => {
                self.set_enabled(proxy, false).await?;
                Ok(DownHow::Plain)
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /chaos/process/{service}`.
    pub async fn process_fault(
        &self,
        service: &str,
        spec: &ProcessFaultSpec,
    ) -> Result<ActiveFault> {
        let path = format!("/chaos/process/{}", segment(service));
        self.core.json(Method::POST, &path, Some(spec)).await
    }

    /// `POST /chaos/services/{service}/faults`: an in-service fault, kept by
    /// the service; answers the service's view of it.
    pub async fn service_fault(
        &self,
        service: &str,
        request: &ServiceFaultRequest,
    ) -> Result<FaultView> {
        let path = format!("/chaos/services/{}/faults", segment(service));
        self.core.json(Method::POST, &path, Some(request)).await
    }

    /// `GET /chaos/faults`.
    pub async fn faults(&self) -> Result<Vec<ActiveFault>> {
        self.core.get("/chaos/faults").await
    }

    /// `DELETE /chaos/faults/{id}`.
    pub async fn remove_fault(&self, id: &str) -> Result<()> {
        let path = format!("/chaos/faults/{}", segment(id));
        self.core.empty::<()>(Method::DELETE, &path, None).await
    }

    /// `DELETE /chaos/faults`.
    pub async fn clear_faults(&self) -> Result<()> {
        self.core
            .empty::<()>(Method::DELETE, "/chaos/faults", None)
            .await
    }

    /// Everything back to normal: Toxiproxy's `/reset`, then every `/chaos`
    /// fault when the agent has the extension.
    pub async fn clear(&self) -> Result<()> {
        self.reset().await?;
        match self.clear_faults().await {
            Err(e) if e.is_no_route() => Ok(()),
            other => other,
        }
    }

    /// Whether the agent answers at all (`GET /version`), for readiness checks.
    pub async fn ping(&self) -> bool {
        self.core
            .send::<()>(Method::GET, "/version", None, Some(Duration::from_secs(2)))
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
    }
}
