//! A service's admin client (`/admin/...`): resilience policies and their
//! live state, request settings, in-service faults. The agent forwards
//! in-service faults with it; the runner and the dashboard use it directly.
//! The bodies are [`crate::wire::admin`].

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;

use super::{Core, Result, segment};
use crate::wire::admin::{
    DependencyStatus, FaultView, PolicyPatch, ServiceFaultRequest, ServiceSettings,
};

/// The environment variable holding the services' admin token, which opens
/// `/admin` to callers beyond loopback.
pub const TOKEN_ENV: &str = "CHAOSLAB_ADMIN_TOKEN";

/// A client for one service's admin API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminClient {
    name: String,
    core: Core,
}

impl AdminClient {
    /// A client for the service `name` whose base URL is `base`
    /// (its admin API is at `{base}/admin/...`), 5 s timeout per call.
    pub fn new(name: &str, base: &str) -> Self {
        Self {
            name: name.to_string(),
            core: Core::new(base, Duration::from_secs(5)),
        }
    }

    /// The same client with another timeout per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.core = self.core.with_timeout(timeout);
        self
    }

    /// Send this bearer token (none when `None` or empty).
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.core = self.core.with_token(token);
        self
    }

    /// The same client over a caller-built reqwest client.
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.core = self.core.with_http(http);
        self
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service's base URL.
    pub fn base_url(&self) -> &str {
        self.core.base()
    }

    /// `GET /admin/resilience`: every dependency's policy and live state.
    pub async fn resilience(&self) -> Result<Vec<DependencyStatus>> {
        self.core.get("/admin/resilience").await
    }

    /// `PUT /admin/resilience`: several patches, all validated before any applies.
    pub async fn put_policies(
        &self,
        patches: &BTreeMap<String, PolicyPatch>,
    ) -> Result<Vec<DependencyStatus>> {
        self.core
            .json(Method::PUT, "/admin/resilience", Some(patches))
            .await
    }

    /// `GET /admin/resilience/{dependency}`.
    pub async fn dependency(&self, dependency: &str) -> Result<DependencyStatus> {
        self.core
            .get(&format!("/admin/resilience/{}", segment(dependency)))
            .await
    }

    /// `PUT /admin/resilience/{dependency}`: the patch over the current policy.
    pub async fn put_policy(
        &self,
        dependency: &str,
        patch: &PolicyPatch,
    ) -> Result<DependencyStatus> {
        let path = format!("/admin/resilience/{}", segment(dependency));
        self.core.json(Method::PUT, &path, Some(patch)).await
    }

    /// `GET /admin/settings`.
    pub async fn settings(&self) -> Result<ServiceSettings> {
        self.core.get("/admin/settings").await
    }

    /// `PUT /admin/settings`.
    pub async fn put_settings(&self, settings: &ServiceSettings) -> Result<ServiceSettings> {
        self.core
            .json(Method::PUT, "/admin/settings", Some(settings))
            .await
    }

    /// `PUT /admin/settings` with only the fields of `patch` (a JSON
    /// object): the others are left as they are, and a service that has
    /// fewer settings than [`ServiceSettings`] is never sent the rest.
    pub async fn patch_settings(&self, patch: &serde_json::Value) -> Result<ServiceSettings> {
        self.core
            .json(Method::PUT, "/admin/settings", Some(patch))
            .await
    }

    /// `GET /admin/faults`: the faults still running.
    pub async fn faults(&self) -> Result<Vec<FaultView>> {
        self.core.get("/admin/faults").await
    }

    /// `POST /admin/faults`.
    pub async fn add_fault(&self, request: &ServiceFaultRequest) -> Result<FaultView> {
        self.core
            .json(Method::POST, "/admin/faults", Some(request))
            .await
    }

    /// `DELETE /admin/faults/{id}`.
    pub async fn remove_fault(&self, id: &str) -> Result<()> {
        let path = format!("/admin/faults/{}", segment(id));
        self.core.empty::<()>(Method::DELETE, &path, None).await
    }

    /// `DELETE /admin/faults`: every in-service fault.
    pub async fn clear_faults(&self) -> Result<()> {
        self.core
            .empty::<()>(Method::DELETE, "/admin/faults", None)
            .await
    }
}
