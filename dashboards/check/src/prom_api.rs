//! A small client for the parts of Prometheus's HTTP API the live check
//! uses: instant queries, series, label values and the rules list.

use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use crate::error::CheckError;

/// The result of an instant query: how many series, and how many of them
/// hold a value other than zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    pub series: usize,
    pub nonzero: usize,
}

/// One rule as Prometheus reports it.
#[derive(Debug, Clone)]
pub struct RuleState {
    pub group: String,
    pub name: String,
    /// `recording` or `alerting`.
    pub kind: String,
    /// `ok`, `err` or `unknown` (not evaluated yet).
    pub health: String,
    pub last_error: String,
}

/// A Prometheus server.
#[derive(Debug, Clone)]
pub struct Prometheus {
    base: String,
    http: reqwest::Client,
}

impl Prometheus {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:9090`).
    pub fn new(base: &str) -> Result<Self, CheckError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| CheckError::Prometheus {
                url: base.into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }

    fn err(&self, message: impl Into<String>) -> CheckError {
        CheckError::Prometheus {
            url: self.base.clone(),
            message: message.into(),
        }
    }

    /// GETs `path` with `params` and returns the `data` field, or the error
    /// Prometheus gave.
    async fn get(&self, path: &str, params: &[(&str, &str)]) -> Result<Value, CheckError> {
        let url = Url::parse_with_params(&format!("{}{path}", self.base), params)
            .map_err(|e| self.err(e.to_string()))?;
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| self.err(e.to_string()))?;
        let body: Value = resp.json().await.map_err(|e| self.err(e.to_string()))?;
        if body.get("status").and_then(Value::as_str) != Some("success") {
            let e = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error text");
            return Err(self.err(format!("{path}: {e}")));
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }

    /// Runs an instant query.
    pub async fn query(&self, promql: &str) -> Result<Sample, CheckError> {
        let data = self.get("/api/v1/query", &[("query", promql)]).await?;
        let value_of = |v: &Value| -> f64 {
            v.get(1)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0.0)
        };
        match data.get("resultType").and_then(Value::as_str) {
            Some("vector") | Some("matrix") => {
                let result = data
                    .get("result")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let nonzero = result
                    .iter()
                    .filter(|s| s.get("value").map(value_of).is_some_and(|v| v != 0.0))
                    .count();
                Ok(Sample {
                    series: result.len(),
                    nonzero,
                })
            }
            Some("scalar") => {
                let v = data.get("result").map(value_of).unwrap_or(0.0);
                Ok(Sample {
                    series: 1,
                    nonzero: usize::from(v != 0.0),
                })
            }
            other => Err(self.err(format!("unexpected result type {other:?}"))),
        }
    }

    /// The values of `label` over the series `selector` selects (all series
    /// when `None`).
    pub async fn label_values(
        &self,
        label: &str,
        selector: Option<&str>,
    ) -> Result<Vec<String>, CheckError> {
        let path = format!("/api/v1/label/{label}/values");
        let params: Vec<(&str, &str)> = selector.map(|s| ("match[]", s)).into_iter().collect();
        let data = self.get(&path, &params).await?;
        Ok(data
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect())
    }

    /// Every loaded rule with its health.
    pub async fn rules(&self) -> Result<Vec<RuleState>, CheckError> {
        let data = self.get("/api/v1/rules", &[]).await?;
        let mut out = Vec::new();
        for g in data
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let group = g
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            for r in g
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                out.push(RuleState {
                    group: group.clone(),
                    name: s("name"),
                    kind: s("type"),
                    health: s("health"),
                    last_error: s("lastError"),
                });
            }
        }
        Ok(out)
    }
}
