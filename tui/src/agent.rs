//! The few calls the dashboard makes to the chaos agent's HTTP API and to the
//! services' admin APIs, with reqwest directly:
//!
//! | call | what for |
//! |---|---|
//! | `GET /chaos/faults` | the active faults and their time left |
//! | `DELETE /chaos/faults`, `DELETE /chaos/faults/{id}` | clear all, clear one |
//! | `POST /chaos/proxies/{p}/toxics` | a Toxiproxy toxic with `duration_ms` |
//! | `POST /chaos/proxies/{p}/faults` | an HTTP fault (abort, delay) |
//! | `POST /chaos/process/{service}` | kill, restart, pause a process |
//! | `GET`/`PUT {admin}/admin/resilience/{dependency}` | read and toggle a policy part |

use std::time::Duration;

use serde_json::Value;

/// What can go wrong talking to the agent or a service's admin API.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// No agent URL is configured.
    #[error("no chaos agent configured")]
    NoAgent,
    /// Connection or timeout.
    #[error("agent unreachable: {0}")]
    Transport(#[from] reqwest::Error),
    /// A non-success answer, with its `error` text.
    #[error("{status}: {message}")]
    Api { status: u16, message: String },
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

impl FaultRow {
    /// Reads one entry of `GET /chaos/faults`; needs at least `id`.
    pub fn from_json(v: &Value) -> Option<FaultRow> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let id = v.get("id")?.as_str()?.to_string();
        Some(FaultRow {
            id,
            kind: s("kind"),
            target: s("target"),
            remaining_ms: v.get("remaining_ms").and_then(Value::as_u64),
            detail: summarize_detail(v.get("detail")),
        })
    }
}

/// `{"attributes":{"latency":300}}` -> `latency=300`, compact and short.
fn summarize_detail(detail: Option<&Value>) -> String {
    let Some(detail) = detail else {
        return String::new();
    };
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

/// Parses `GET /chaos/faults`: a list, or an object holding `faults`.
pub fn parse_faults(body: &Value) -> Result<Vec<FaultRow>, AgentError> {
    let list = match body {
        Value::Array(items) => items,
        Value::Object(map) => match map.get("faults") {
            Some(Value::Array(items)) => items,
            _ => return Err(AgentError::Shape("no faults list".into())),
        },
        _ => return Err(AgentError::Shape("no faults list".into())),
    };
    Ok(list.iter().filter_map(FaultRow::from_json).collect())
}

/// One request to the agent, built by the fault picker.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRequest {
    /// `POST` or `DELETE`.
    pub method: &'static str,
    /// Path below the agent's base URL, starting with `/`.
    pub path: String,
    /// JSON body, `Null` for none.
    pub body: Value,
}

/// A client for the agent (and the services' admin APIs). Cheap to clone.
#[derive(Debug, Clone)]
pub struct AgentClient {
    base: Option<String>,
    http: reqwest::Client,
    /// Sent as a bearer token with every change, when set.
    token: Option<String>,
}

/// The environment variable holding the agent's bearer token (the agent's
/// own `--token` reads the same one).
pub const TOKEN_ENV: &str = "CHAOSLAB_AGENT_TOKEN";

impl AgentClient {
    /// A client for the agent at `base` (none when `None`), 3 s timeout.
    pub fn new(base: Option<&str>) -> AgentClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        AgentClient {
            base: base.map(|b| b.trim_end_matches('/').to_string()),
            http,
            token: std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()),
        }
    }

    fn change(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    fn url(&self, path: &str) -> Result<String, AgentError> {
        let base = self.base.as_ref().ok_or(AgentError::NoAgent)?;
        Ok(format!("{base}{path}"))
    }

    /// `GET /chaos/faults`.
    pub async fn faults(&self) -> Result<Vec<FaultRow>, AgentError> {
        let resp = self.http.get(self.url("/chaos/faults")?).send().await?;
        let body = check(resp).await?;
        parse_faults(&body)
    }

    /// `DELETE /chaos/faults`.
    pub async fn clear_all(&self) -> Result<(), AgentError> {
        let resp = self
            .change(self.http.delete(self.url("/chaos/faults")?))
            .send()
            .await?;
        check(resp).await.map(drop)
    }

    /// `DELETE /chaos/faults/{id}`.
    pub async fn remove(&self, id: &str) -> Result<(), AgentError> {
        let path = format!("/chaos/faults/{}", encode(id));
        let resp = self
            .change(self.http.delete(self.url(&path)?))
            .send()
            .await?;
        check(resp).await.map(drop)
    }

    /// Sends a request the picker built.
    pub async fn send(&self, req: &AgentRequest) -> Result<Value, AgentError> {
        let url = self.url(&req.path)?;
        let builder = match req.method {
            "DELETE" => self.http.delete(url),
            "PUT" => self.http.put(url),
            _ => self.http.post(url),
        };
        let builder = self.change(builder);
        let builder = if req.body.is_null() {
            builder
        } else {
            builder.json(&req.body)
        };
        check(builder.send().await?).await
    }

    /// Flips `part` (`breaker`, `retry`, `timeout`, `bulkhead`, `fallback`)
    /// of `dependency`'s policy on the service whose admin API is at
    /// `admin`; answers whether it is enabled now.
    pub async fn toggle_policy(
        &self,
        admin: &str,
        dependency: &str,
        part: &str,
    ) -> Result<bool, AgentError> {
        let url = format!(
            "{}/admin/resilience/{}",
            admin.trim_end_matches('/'),
            encode(dependency)
        );
        let current = check(self.http.get(&url).send().await?).await?;
        let enabled = current
            .pointer(&format!("/policy/{part}/enabled"))
            .or_else(|| current.pointer(&format!("/{part}/enabled")))
            .and_then(Value::as_bool)
            .ok_or_else(|| AgentError::Shape(format!("no {part}.enabled in the policy")))?;
        let patch = serde_json::json!({ part: { "enabled": !enabled } });
        check(self.http.put(&url).json(&patch).send().await?).await?;
        Ok(!enabled)
    }
}

async fn check(resp: reqwest::Response) -> Result<Value, AgentError> {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if status.is_success() {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text).map_err(|e| AgentError::Shape(e.to_string()));
    }
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or(text);
    Err(AgentError::Api {
        status: status.as_u16(),
        message,
    })
}

fn encode(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_from_list_or_object() {
        let body = serde_json::json!([
            {"id": "toxic:echo:latency_downstream", "source": "toxic", "target": "echo",
             "kind": "latency", "remaining_ms": 12000, "detail": {"attributes": {"latency": 300, "jitter": 0}}},
            {"id": "p1", "kind": "kill", "target": "delta"},
            {"no_id": true}
        ]);
        let rows = parse_faults(&body).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].remaining_ms, Some(12000));
        assert!(rows[0].detail.contains("latency=300"), "{}", rows[0].detail);
        assert_eq!(rows[1].remaining_ms, None);
        let wrapped = serde_json::json!({"faults": [{"id": "x"}]});
        assert_eq!(parse_faults(&wrapped).unwrap().len(), 1);
        assert!(parse_faults(&serde_json::json!(3)).is_err());
    }
}
