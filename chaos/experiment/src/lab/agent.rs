//! The chaos agent, as the runner uses it: toxics and proxies down (with a
//! duration through the `/chaos` extension when the agent has it, so that
//! they revert by themselves even if the runner dies; through plain
//! Toxiproxy otherwise), HTTP faults, process faults, and clearing
//! everything.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Http, Reply, error_text, url};
use crate::error::RunError;

/// A client for one agent.
#[derive(Debug, Clone)]
pub struct AgentClient {
    base: String,
    http: Http,
}

/// How a toxic was added, which decides how it is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToxicAdded {
    /// Through `/chaos/proxies/{p}/toxics`: it removes itself when its
    /// duration ends.
    WithDuration,
    /// Through Toxiproxy's own API: it stays until removed.
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

/// Whether an answer says "no such route" rather than "no such proxy": the
/// agent's Toxiproxy errors carry a JSON `error`, a missing route does not.
fn no_route(reply: &Reply) -> bool {
    (reply.status == 404 && reply.body.get("error").is_none()) || reply.status == 405
}

impl AgentClient {
    /// A client for the agent at `base`.
    pub fn new(base: &str, http: Http) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    fn at(&self, path: &str) -> String {
        url(&self.base, path)
    }

    /// Adds a toxic named `name` to `proxy` for `duration_ms`.
    pub async fn add_toxic(
        &self,
        proxy: &str,
        mut toxic: Value,
        duration_ms: u64,
    ) -> Result<ToxicAdded, RunError> {
        let ext = self.at(&format!("/chaos/proxies/{proxy}/toxics"));
        toxic["duration_ms"] = json!(duration_ms);
        let reply = self
            .http
            .send(Method::POST, &ext, Some(&toxic), &[], None)
            .await?;
        if reply.ok() {
            return Ok(ToxicAdded::WithDuration);
        }
        if !no_route(&reply) {
            return Err(RunError::call(
                format!("agent POST {ext}"),
                format!("answered {}: {}", reply.status, error_text(&reply)),
            ));
        }
        if let Some(obj) = toxic.as_object_mut() {
            obj.remove("duration_ms");
        }
        self.http
            .expect(
                Method::POST,
                &self.at(&format!("/proxies/{proxy}/toxics")),
                Some(&toxic),
            )
            .await?;
        Ok(ToxicAdded::Plain)
    }

    /// Removes a toxic; one already gone is fine.
    pub async fn remove_toxic(&self, proxy: &str, name: &str) -> Result<(), RunError> {
        let u = self.at(&format!("/proxies/{proxy}/toxics/{name}"));
        let reply = self.http.send(Method::DELETE, &u, None, &[], None).await?;
        if reply.ok() || reply.status == 404 {
            return Ok(());
        }
        Err(RunError::call(
            format!("DELETE {u}"),
            format!("answered {}: {}", reply.status, error_text(&reply)),
        ))
    }

    /// Takes a proxy down for `duration_ms`: a timed `down` fault when the
    /// agent has the extension, Toxiproxy's `enabled: false` otherwise.
    pub async fn take_down(&self, proxy: &str, duration_ms: u64) -> Result<DownHow, RunError> {
        let ext = self.at(&format!("/chaos/proxies/{proxy}/down"));
        let body = json!({"duration_ms": duration_ms});
        let reply = self
            .http
            .send(Method::POST, &ext, Some(&body), &[], None)
            .await?;
        if reply.ok() {
            return Ok(DownHow::Timed { id: id_of(&reply) });
        }
        if !no_route(&reply) {
            return Err(RunError::call(
                format!("agent POST {ext}"),
                format!("answered {}: {}", reply.status, error_text(&reply)),
            ));
        }
        self.set_enabled(proxy, false).await?;
        Ok(DownHow::Plain)
    }

    /// Takes a proxy down or brings it back.
    pub async fn set_enabled(&self, proxy: &str, enabled: bool) -> Result<(), RunError> {
        self.http
            .expect(
                Method::POST,
                &self.at(&format!("/proxies/{proxy}")),
                Some(&json!({"enabled": enabled})),
            )
            .await
            .map(|_| ())
    }

    /// Adds an HTTP fault to an http-mode proxy; returns its id.
    pub async fn add_http_fault(&self, proxy: &str, spec: &Value) -> Result<String, RunError> {
        let reply = self
            .http
            .expect(
                Method::POST,
                &self.at(&format!("/chaos/proxies/{proxy}/faults")),
                Some(spec),
            )
            .await?;
        Ok(id_of(&reply))
    }

    /// Removes a `/chaos` fault by id; one already gone is fine.
    pub async fn remove_fault(&self, id: &str) -> Result<(), RunError> {
        let u = self.at(&format!("/chaos/faults/{id}"));
        let reply = self.http.send(Method::DELETE, &u, None, &[], None).await?;
        if reply.ok() || reply.status == 404 {
            return Ok(());
        }
        Err(RunError::call(
            format!("DELETE {u}"),
            format!("answered {}: {}", reply.status, error_text(&reply)),
        ))
    }

    /// Acts on a service's process through the lab's supervisor.
    pub async fn process(
        &self,
        service: &str,
        action: &str,
        duration_ms: Option<u64>,
    ) -> Result<String, RunError> {
        let mut body = json!({"action": action});
        if let Some(ms) = duration_ms {
            body["duration_ms"] = json!(ms);
        }
        let reply = self
            .http
            .expect(
                Method::POST,
                &self.at(&format!("/chaos/process/{service}")),
                Some(&body),
            )
            .await?;
        Ok(id_of(&reply))
    }

    /// Removes every toxic and HTTP fault and brings every proxy up
    /// (Toxiproxy's `/reset`), then every `/chaos` fault when the agent has
    /// the extension.
    pub async fn clear(&self) -> Result<(), RunError> {
        self.http
            .expect(Method::POST, &self.at("/reset"), None)
            .await?;
        let u = self.at("/chaos/faults");
        let reply = self.http.send(Method::DELETE, &u, None, &[], None).await?;
        if reply.ok() || no_route(&reply) {
            return Ok(());
        }
        Err(RunError::call(
            format!("DELETE {u}"),
            format!("answered {}: {}", reply.status, error_text(&reply)),
        ))
    }
}

fn id_of(reply: &Reply) -> String {
    reply
        .body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
