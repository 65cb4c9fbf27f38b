//! A service's admin API: resilience policies, request settings and
//! in-service faults.

use reqwest::Method;
use serde_json::Value;

use super::{Http, url};
use crate::error::RunError;

/// A client for one service's admin API.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    pub name: String,
    base: String,
    http: Http,
}

impl ServiceClient {
    /// A client for the service `name` at `base`.
    pub fn new(name: &str, base: &str, http: Http) -> Self {
        Self {
            name: name.to_string(),
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    fn at(&self, path: &str) -> String {
        url(&self.base, path)
    }

    /// `GET /admin/resilience/{dependency}`: the dependency's status.
    pub async fn dependency(&self, dependency: &str) -> Result<Value, RunError> {
        Ok(self
            .http
            .expect(
                Method::GET,
                &self.at(&format!("/admin/resilience/{dependency}")),
                None,
            )
            .await?
            .body)
    }

    /// The current policy, then the patch applied; returns the policy before.
    pub async fn patch_policy(&self, dependency: &str, patch: &Value) -> Result<Value, RunError> {
        let before = self
            .dependency(dependency)
            .await?
            .get("policy")
            .cloned()
            .unwrap_or(Value::Null);
        if before.is_null() {
            return Err(RunError::call(
                format!("{} /admin/resilience/{dependency}", self.name),
                "the status has no `policy`",
            ));
        }
        self.put_policy(dependency, patch).await?;
        Ok(before)
    }

    /// `PUT /admin/resilience/{dependency}`.
    pub async fn put_policy(&self, dependency: &str, patch: &Value) -> Result<(), RunError> {
        self.http
            .expect(
                Method::PUT,
                &self.at(&format!("/admin/resilience/{dependency}")),
                Some(patch),
            )
            .await
            .map(|_| ())
    }

    /// `GET /admin/settings`.
    pub async fn settings(&self) -> Result<Value, RunError> {
        Ok(self
            .http
            .expect(Method::GET, &self.at("/admin/settings"), None)
            .await?
            .body)
    }

    /// The settings, then the patch applied; returns the settings before.
    pub async fn patch_settings(&self, patch: &Value) -> Result<Value, RunError> {
        let before = self
            .http
            .expect(Method::GET, &self.at("/admin/settings"), None)
            .await?
            .body;
        self.put_settings(patch).await?;
        Ok(before)
    }

    /// `PUT /admin/settings`.
    pub async fn put_settings(&self, settings: &Value) -> Result<(), RunError> {
        self.http
            .expect(Method::PUT, &self.at("/admin/settings"), Some(settings))
            .await
            .map(|_| ())
    }

    /// `POST /admin/faults`; returns the fault's id.
    pub async fn add_fault(&self, spec: &Value) -> Result<String, RunError> {
        let reply = self
            .http
            .expect(Method::POST, &self.at("/admin/faults"), Some(spec))
            .await?;
        Ok(reply
            .body
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// `DELETE /admin/faults/{id}`; one already gone is fine.
    pub async fn remove_fault(&self, id: &str) -> Result<(), RunError> {
        let u = self.at(&format!("/admin/faults/{id}"));
        let reply = self.http.send(Method::DELETE, &u, None, &[], None).await?;
        if reply.ok() || reply.status == 404 {
            return Ok(());
        }
        Err(RunError::call(
            format!("DELETE {u}"),
            format!("answered {}", reply.status),
        ))
    }

    /// `DELETE /admin/faults`: every in-service fault. `Ok(false)` when the
    /// service does not answer at all: a process that is down (or being
    /// restarted) holds no in-service faults, which live in its memory.
    pub async fn clear_faults(&self) -> Result<bool, RunError> {
        let u = self.at("/admin/faults");
        let Ok(reply) = self.http.send(Method::DELETE, &u, None, &[], None).await else {
            return Ok(false);
        };
        if reply.ok() {
            return Ok(true);
        }
        Err(RunError::call(
            format!("DELETE {u}"),
            format!("answered {}", reply.status),
        ))
    }
}
