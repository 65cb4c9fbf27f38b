//! What the dashboard does with the chaos agent and the services' admin
//! APIs, through the contract's clients ([`AgentClient`], [`AdminClient`]):
//! the fault rows it shows, the typed calls the fault picker builds
//! ([`AgentCall`]), and flipping a policy part.

use std::time::Duration;

use chaoslab_contract::client::{AdminClient, AgentClient, ClientError};
use chaoslab_contract::wire::admin::{PolicyPatch, ServiceFaultRequest};
use chaoslab_contract::wire::agent::ToxicSpec;
use chaoslab_contract::wire::faults::{ActiveFault, ProcessFaultSpec};
use chaoslab_contract::wire::http_fault::HttpFaultSpec;
use serde_json::Value;

/// What can go wrong talking to the agent or a service's admin API.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// No agent URL is configured.
    #[error("no chaos agent configured")]
    NoAgent,
    /// The call failed; the server's own message when it answered.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An answer of an unexpected shape.
    #[error("unexpected answer: {0}")]
    Shape(String),
}

/// An active fault as the dashboard shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRow {
    /// Use with `DELETE /chaos/faults/{id}`.
    pub id: String,
    /// e.g. `latency`, `http_abort`, `kill`.
    pub kind: String,
    /// The proxy or service it acts on.
    pub target: String,
    /// Time left when fetched; `None` when it lasts until removed.
    pub remaining_ms: Option<u64>,
    /// A one-line summary of its parameters.
    pub detail: String,
}

impl From<&ActiveFault> for FaultRow {
    fn from(f: &ActiveFault) -> FaultRow {
        FaultRow {
            id: f.id.clone(),
            kind: f.kind.clone(),
            target: f.target.clone(),
            remaining_ms: f.remaining_ms,
            detail: summarize_detail(&f.detail),
        }
    }
}

/// `{"attributes":{"latency":300}}` -> `latency=300`, compact and short.
fn summarize_detail(detail: &Value) -> String {
    let source = detail.get("attributes").unwrap_or(detail);
    match source {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "name" | "type" | "id"))
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                Value::Object(_) | Value::Array(_) => format!("{k}={}", v),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One call to the agent, built by the fault picker: the contract's bodies.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentCall {
    /// A toxic on a proxy, for a duration or until removed.
    Toxic {
        proxy: String,
        spec: ToxicSpec,
        duration: Option<Duration>,
    },
    /// An HTTP fault on an http-mode proxy.
    HttpFault { proxy: String, spec: HttpFaultSpec },
    /// An in-service fault, through the agent to the service.
    ServiceFault {
        service: String,
        request: ServiceFaultRequest,
    },
    /// A process fault through the lab's supervisor.
    Process {
        service: String,
        spec: ProcessFaultSpec,
    },
}

impl AgentCall {
    /// The proxy or service it acts on.
    pub fn target(&self) -> &str {
        match self {
            AgentCall::Toxic { proxy, .. } | AgentCall::HttpFault { proxy, .. } => proxy,
            AgentCall::ServiceFault { service, .. } | AgentCall::Process { service, .. } => service,
        }
    }

    /// A short description for the notice line: `latency on payments`.
    pub fn describe(&self) -> String {
        let what = match self {
            AgentCall::Toxic { spec, .. } => spec.kind.clone(),
            AgentCall::HttpFault { spec, .. } => spec.action.kind().to_string(),
            AgentCall::ServiceFault { request, .. } => request.fault.kind().to_string(),
            AgentCall::Process { spec, .. } => spec.action.as_str().to_string(),
        };
        format!("{what} on {}", self.target())
    }

    /// Makes the call.
    pub async fn send(&self, agent: &AgentClient) -> Result<(), ClientError> {
        match self {
            AgentCall::Toxic {
                proxy,
                spec,
                duration: Some(d),
            } => agent.add_toxic_for(proxy, spec, *d).await.map(drop),
            AgentCall::Toxic { proxy, spec, .. } => agent.add_toxic(proxy, spec).await.map(drop),
            AgentCall::HttpFault { proxy, spec } => {
                agent.add_http_fault(proxy, spec).await.map(drop)
            }
            AgentCall::ServiceFault { service, request } => {
                agent.service_fault(service, request).await.map(drop)
            }
            AgentCall::Process { service, spec } => {
                agent.process_fault(service, spec).await.map(drop)
            }
        }
    }
}

/// The dashboard's agent: the contract's client, when an agent is configured.
#[derive(Debug, Clone)]
pub struct Agent {
    client: Option<AgentClient>,
}

impl Agent {
    /// The agent at `base` (none when `None`), 3 s timeout, with the token
    /// of `CHAOSLAB_AGENT_TOKEN` when set.
    pub fn new(base: Option<&str>) -> Agent {
        Agent {
            client: base.map(|b| {
                AgentClient::new(b)
                    .with_timeout(Duration::from_secs(3))
                    .with_env_token()
            }),
        }
    }

    fn client(&self) -> Result<&AgentClient, AgentError> {
        self.client.as_ref().ok_or(AgentError::NoAgent)
    }

    /// `GET /chaos/faults`, as rows.
    pub async fn faults(&self) -> Result<Vec<FaultRow>, AgentError> {
        let faults = self.client()?.faults().await?;
        Ok(faults.iter().map(FaultRow::from).collect())
    }

    /// `DELETE /chaos/faults`.
    pub async fn clear_all(&self) -> Result<(), AgentError> {
        Ok(self.client()?.clear_faults().await?)
    }

    /// `DELETE /chaos/faults/{id}`.
    pub async fn remove(&self, id: &str) -> Result<(), AgentError> {
        Ok(self.client()?.remove_fault(id).await?)
    }

    /// Makes a call the picker built.
    pub async fn send(&self, call: &AgentCall) -> Result<(), AgentError> {
        Ok(call.send(self.client()?).await?)
    }
}

/// Flips `part` (`breaker`, `retry`, `timeout`, `bulkhead`, `fallback`) of
/// `dependency`'s policy on `service`, whose admin API is at `admin`;
/// answers whether it is enabled now.
pub async fn toggle_policy(
    service: &str,
    admin: &str,
    dependency: &str,
    part: &str,
) -> Result<bool, AgentError> {
    let admin = AdminClient::new(service, admin).with_timeout(Duration::from_secs(3));
    let status = admin.dependency(dependency).await?;
    let policy = serde_json::to_value(&status.policy).unwrap_or_default();
    let enabled = policy
        .pointer(&format!("/{part}/enabled"))
        .and_then(Value::as_bool)
        .ok_or_else(|| AgentError::Shape(format!("no {part}.enabled in the policy")))?;
    let patch: PolicyPatch =
        serde_json::from_value(serde_json::json!({ part: { "enabled": !enabled } }))
            .map_err(|e| AgentError::Shape(e.to_string()))?;
    admin.put_policy(dependency, &patch).await?;
    Ok(!enabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_row_summarizes_the_agents_detail() {
        let list: Vec<ActiveFault> = serde_json::from_value(serde_json::json!([
            {"id": "toxic:echo:latency_downstream", "source": "toxic", "target": "echo",
             "kind": "latency", "remaining_ms": 12000, "detail": {"attributes": {"latency": 300, "jitter": 0}}},
            {"id": "p1", "source": "process", "kind": "kill", "target": "delta"}
        ]))
        .unwrap();
        let rows: Vec<FaultRow> = list.iter().map(FaultRow::from).collect();
        assert_eq!(rows[0].remaining_ms, Some(12000));
        assert!(rows[0].detail.contains("latency=300"), "{}", rows[0].detail);
        assert_eq!(
            (rows[1].kind.as_str(), rows[1].remaining_ms),
            ("kill", None)
        );
        assert_eq!(rows[1].detail, "");
    }
}
