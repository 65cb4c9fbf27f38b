//! The running lab, as the runner reaches it: endpoints, the contract's
//! clients for the agent, the hub, the load generator and the services'
//! admin APIs, and one small HTTP helper for what is not one of those APIs
//! (HTTP probes of the lab's own routes).
//!
//! ```text
//!  runner ──> agent    (Toxiproxy API + /chaos extensions)   contract AgentClient
//!         ──> services (/admin/resilience, /settings, /faults) contract AdminClient
//!         ──> hub      (/api/metric, /api/traces)              contract HubClient
//!         ──> loadgen  (GET/PUT /load)                          contract LoadClient
//! ```

use chaoslab_contract::client::{AdminClient, AgentClient, ClientError, HubClient, LoadClient};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::error::RunError;

/// Where the lab's parts listen, and what the lab is. The CLI builds this
/// from the lab's state file and its lab file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LabEndpoints {
    /// The entry service's base URL (the lab's public API).
    pub gateway: String,
    /// The chaos agent's API base URL.
    #[serde(default)]
    pub agent: Option<String>,
    /// The hub's API base URL.
    #[serde(default)]
    pub hub: Option<String>,
    /// The load generator's base URL.
    #[serde(default)]
    pub loadgen: Option<String>,
    /// Each service's base URL; its admin API is at `{url}/admin/...`.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
    /// The lab's state directory, where the experiment lock lives.
    pub state_dir: PathBuf,
    /// The lab file's model: experiments are checked against its services,
    /// proxies, dependencies and journeys.
    #[serde(skip)]
    pub model: Option<std::sync::Arc<chaoslab_contract::Lab>>,
}

impl LabEndpoints {
    /// The base URL of a service (the entry URL counts for the entry service).
    pub fn service(&self, name: &str) -> Option<&str> {
        self.services.get(name).map(String::as_str).or_else(|| {
            (name == self.entry() && !self.gateway.is_empty()).then_some(self.gateway.as_str())
        })
    }

    /// The entry service's name (empty without a lab model).
    pub fn entry(&self) -> &str {
        self.model
            .as_deref()
            .map(|m| m.entry.as_str())
            .unwrap_or("")
    }

    /// The URL of `service`, or of the entry service when `None`.
    pub fn service_or_entry(&self, service: Option<&str>) -> Option<&str> {
        match service {
            Some(s) => self.service(s),
            None => (!self.gateway.is_empty()).then_some(self.gateway.as_str()),
        }
    }
}

/// An answer: status and body (JSON when it parses, else a string).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The HTTP client every lab call uses.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
}

/// How long one control call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

impl Http {
    /// A client with a 5 s timeout per call.
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self { client }
    }

    /// Sends a request; any answer (whatever its status) is `Ok`, transport
    /// failures are `Err`.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        headers: &[(String, String)],
        timeout: Option<Duration>,
    ) -> Result<Reply, RunError> {
        let label = format!("{method} {url}");
        let mut req = self.client.request(method, url);
        if let Some(b) = body {
            req = req.json(b);
        }
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| RunError::call(&label, describe(&e)))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| RunError::call(&label, describe(&e)))?;
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Ok(Reply { status, body, text })
    }

    /// Sends a control request and insists on a 2xx answer.
    pub async fn expect(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, RunError> {
        let label = format!("{method} {url}");
        let reply = self.send(method, url, body, &[], None).await?;
        if reply.ok() {
            return Ok(reply);
        }
        Err(RunError::call(
            label,
            format!("answered {}: {}", reply.status, error_text(&reply)),
        ))
    }
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

/// The `error` field of a JSON error body, or the body itself (shortened).
/// A service's body also has a `reason` (`{"error": "bad request",
/// "reason": "rate must be between 0 and 1"}`): the callee's own words are
/// quoted with it.
pub fn error_text(reply: &Reply) -> String {
    if let Some(e) = reply.body.get("error").and_then(Value::as_str) {
        return match reply.body.get("reason").and_then(Value::as_str) {
            Some(reason) if !reason.is_empty() => format!("{e}: {reason}"),
            _ => e.to_string(),
        };
    }
    reply.text.chars().take(200).collect()
}

/// A transport error with its causes, which reqwest keeps in the source chain.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `base` without a trailing slash, joined to `path`.
pub fn url(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// The lab's clients, made once per run.
#[derive(Debug, Clone)]
pub struct Lab {
    pub endpoints: LabEndpoints,
    pub http: Http,
}

impl Lab {
    /// Clients for `endpoints`.
    pub fn new(endpoints: LabEndpoints) -> Self {
        Self {
            endpoints,
            http: Http::new(),
        }
    }

    /// The admin client of a service the lab runs.
    pub fn service(&self, name: &str) -> Result<AdminClient, RunError> {
        let base = self
            .endpoints
            .service(name)
            .ok_or_else(|| RunError::Lab(format!("the lab runs no service `{name}`")))?;
        Ok(AdminClient::new(name, base).with_timeout(CALL_TIMEOUT))
    }

    /// Every service the lab runs.
    pub fn services(&self) -> Vec<AdminClient> {
        self.endpoints
            .services
            .iter()
            .map(|(n, u)| AdminClient::new(n, u).with_timeout(CALL_TIMEOUT))
            .collect()
    }

    /// The agent's client.
    pub fn agent(&self) -> Result<AgentClient, RunError> {
        let base = self
            .endpoints
            .agent
            .as_deref()
            .ok_or_else(|| RunError::Lab("the lab has no chaos agent".into()))?;
        Ok(AgentClient::new(base)
            .with_timeout(CALL_TIMEOUT)
            .with_env_token())
    }

    /// The load generator's client.
    pub fn loadgen(&self) -> Result<LoadClient, RunError> {
        let base = self
            .endpoints
            .loadgen
            .as_deref()
            .ok_or_else(|| RunError::Lab("the lab has no load generator".into()))?;
        Ok(LoadClient::new(base).with_timeout(CALL_TIMEOUT))
    }

    /// The hub's client.
    pub fn hub(&self) -> Result<HubClient, RunError> {
        let base = self
            .endpoints
            .hub
            .as_deref()
            .ok_or_else(|| RunError::Lab("the lab has no hub".into()))?;
        Ok(HubClient::new(base)?)
    }
}

impl From<ClientError> for RunError {
    fn from(e: ClientError) -> Self {
        let message = match &e {
            ClientError::Api {
                status, message, ..
            } => format!("answered {status}: {message}"),
            other => other.message().to_string(),
        };
        RunError::call(e.call(), message)
    }
}

/// `Ok` for a thing already gone (a 404): removing it again is fine.
pub fn gone_is_fine(r: Result<(), ClientError>) -> Result<(), RunError> {
    match r {
        Err(e) if e.is_not_found() => Ok(()),
        other => Ok(other?),
    }
}
