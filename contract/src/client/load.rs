//! The load generator's client (`/load`): read the report, change the rate
//! or the journeys' weights. The bodies are [`crate::wire::load`].
//!
//! ```no_run
//! # async fn demo() -> chaoslab_contract::client::Result<()> {
//! use chaoslab_contract::client::LoadClient;
//! let load = LoadClient::new("http://127.0.0.1:9464");
//! let before = load.report().await?.rate;
//! load.set_rate(before * 2.0).await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use reqwest::Method;

use super::{Core, Result};
use crate::wire::load::{LoadReport, LoadUpdate, Weights};

/// A client for one load generator. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LoadClient {
    core: Core,
}

impl LoadClient {
    /// A client for the generator at `base` (e.g. `http://127.0.0.1:9464`),
    /// with a 5 s timeout per call.
    pub fn new(base: &str) -> Self {
        Self {
            core: Core::new(base, Duration::from_secs(5)),
        }
    }

    /// The same client with another timeout per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.core = self.core.with_timeout(timeout);
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.core.base()
    }

    /// `GET /load`.
    pub async fn report(&self) -> Result<LoadReport> {
        self.core.get("/load").await
    }

    /// `PUT /load {"rate": rate}`; answers the report after the change.
    pub async fn set_rate(&self, rate: f64) -> Result<LoadReport> {
        self.update(&LoadUpdate {
            rate: Some(rate),
            weights: None,
        })
        .await
    }

    /// `PUT /load {"weights": {...}}` with the named weights only (others
    /// keep their value), e.g. `&[("list", 50.0)]`.
    pub async fn set_weights(&self, weights: &[(&str, f64)]) -> Result<LoadReport> {
        let weights = Weights(weights.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        self.update(&LoadUpdate {
            rate: None,
            weights: Some(weights),
        })
        .await
    }

    /// `PUT /load`: both changes checked before either applies.
    pub async fn update(&self, update: &LoadUpdate) -> Result<LoadReport> {
        self.core.json(Method::PUT, "/load", Some(update)).await
    }
}
