//! The load generator: its rate, and its per-journey numbers.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Http, url};
use crate::error::RunError;

/// A client for the load generator.
#[derive(Debug, Clone)]
pub struct LoadgenClient {
    base: String,
    http: Http,
}

impl LoadgenClient {
    /// A client for the load generator at `base`.
    pub fn new(base: &str, http: Http) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// `GET /load`: `{rate, running, journeys: {name: {...}}, window_secs}`.
    pub async fn status(&self) -> Result<Value, RunError> {
        Ok(self
            .http
            .expect(Method::GET, &url(&self.base, "/load"), None)
            .await?
            .body)
    }

    /// The rate now (0 when stopped or absent).
    pub async fn rate(&self) -> Result<f64, RunError> {
        Ok(self
            .status()
            .await?
            .get("rate")
            .and_then(Value::as_f64)
            .unwrap_or(0.0))
    }

    /// `PUT /load {"rate": N}`.
    pub async fn set_rate(&self, rate: f64) -> Result<(), RunError> {
        self.http
            .expect(
                Method::PUT,
                &url(&self.base, "/load"),
                Some(&json!({"rate": rate})),
            )
            .await
            .map(|_| ())
    }
}
