//! A typed client of the generator's control API, for the CLI, the TUI, the
//! experiment runner and tests: read the report, change the rate or weights.

use crate::report::LoadReport;
use serde_json::{Value, json};
use std::time::Duration;

/// Why a control-API call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the load generator: {0}")]
    Transport(#[from] reqwest::Error),
    /// The generator refused the request; `message` is its `"error"` field.
    #[error("the load generator answered {status}: {message}")]
    Refused { status: u16, message: String },
}

/// Talks to one generator's control API (`http://127.0.0.1:9464` by default).
#[derive(Debug, Clone)]
pub struct LoadClient {
    base: String,
    http: reqwest::Client,
}

impl LoadClient {
    pub fn new(base: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            base: base.into().trim_end_matches('/').to_string(),
            http,
        }
    }

    /// `GET /load`.
    pub async fn report(&self) -> Result<LoadReport, ClientError> {
        let resp = self.http.get(format!("{}/load", self.base)).send().await?;
        Self::answer(resp).await
    }

    /// `PUT /load {"rate": rate}`; answers the report after the change.
    pub async fn set_rate(&self, rate: f64) -> Result<LoadReport, ClientError> {
        self.put(json!({ "rate": rate })).await
    }

    /// `PUT /load {"weights": {...}}` with the named weights only (others keep
    /// their value), e.g. `&[("list", 50.0)]`.
    pub async fn set_weights(&self, weights: &[(&str, f64)]) -> Result<LoadReport, ClientError> {
        let map: serde_json::Map<String, Value> = weights
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        self.put(json!({ "weights": map })).await
    }

    async fn put(&self, body: Value) -> Result<LoadReport, ClientError> {
        let resp = self
            .http
            .put(format!("{}/load", self.base))
            .json(&body)
            .send()
            .await?;
        Self::answer(resp).await
    }

    async fn answer(resp: reqwest::Response) -> Result<LoadReport, ClientError> {
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            return Ok(resp.json().await?);
        }
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let message = body["error"]
            .as_str()
            .unwrap_or("no error message")
            .to_string();
        Err(ClientError::Refused { status, message })
    }
}
