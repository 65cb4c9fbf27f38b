//! The generator's configuration: target, arrival rate, journey weights and
//! limits, as plain structs with validating constructors.

use crate::journey::Journey;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Why a configuration or a change to it was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("rate must be a finite number >= 0 (arrivals per second), got {0}")]
    InvalidRate(f64),
    #[error("invalid journey weights: {0}")]
    InvalidWeights(String),
    #[error("invalid load configuration: {0}")]
    InvalidConfig(String),
}

/// Relative weights of the user journeys. Only the ratios matter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    pub browse: f64,
    pub view_product: f64,
    pub checkout: f64,
    pub view_order: f64,
}

impl Default for Weights {
    /// Mostly browsing, a fifth checking out: roughly what a shop sees.
    fn default() -> Self {
        Self {
            browse: 40.0,
            view_product: 35.0,
            checkout: 20.0,
            view_order: 5.0,
        }
    }
}

impl Weights {
    /// All traffic to one journey.
    pub fn only(journey: Journey) -> Self {
        let mut w = Self {
            browse: 0.0,
            view_product: 0.0,
            checkout: 0.0,
            view_order: 0.0,
        };
        *w.get_mut(journey) = 1.0;
        w
    }

    /// Every weight multiplied by `k`.
    pub fn scaled(mut self, k: f64) -> Self {
        for j in Journey::ALL {
            *self.get_mut(j) *= k;
        }
        self
    }

    /// The weight of `journey`.
    pub fn get(&self, journey: Journey) -> f64 {
        match journey {
            Journey::Browse => self.browse,
            Journey::ViewProduct => self.view_product,
            Journey::Checkout => self.checkout,
            Journey::ViewOrder => self.view_order,
        }
    }

    fn get_mut(&mut self, journey: Journey) -> &mut f64 {
        match journey {
            Journey::Browse => &mut self.browse,
            Journey::ViewProduct => &mut self.view_product,
            Journey::Checkout => &mut self.checkout,
            Journey::ViewOrder => &mut self.view_order,
        }
    }

    /// Checks every weight is finite and >= 0 and that one is > 0.
    pub fn validate(&self) -> Result<(), LoadError> {
        for j in Journey::ALL {
            let w = self.get(j);
            if !w.is_finite() || w < 0.0 {
                return Err(LoadError::InvalidWeights(format!(
                    "{} must be a finite number >= 0, got {w}",
                    j.name()
                )));
            }
        }
        if Journey::ALL.iter().all(|j| self.get(*j) == 0.0) {
            return Err(LoadError::InvalidWeights(
                "at least one weight must be > 0".into(),
            ));
        }
        Ok(())
    }

    /// The journey at `u` in [0, 1) along the cumulative weights.
    pub fn pick(&self, u: f64) -> Journey {
        let total: f64 = Journey::ALL.iter().map(|j| self.get(*j)).sum();
        let mut at = u * total;
        for j in Journey::ALL {
            let w = self.get(j);
            if at < w {
                return j;
            }
            at -= w;
        }
        // Rounding at the very top: the last journey with any weight.
        Journey::ALL
            .into_iter()
            .rev()
            .find(|j| self.get(*j) > 0.0)
            .unwrap_or(Journey::Browse)
    }
}

/// Checks an arrival rate: finite and >= 0 (0 pauses).
pub fn validate_rate(rate: f64) -> Result<(), LoadError> {
    if rate.is_finite() && rate >= 0.0 {
        Ok(())
    } else {
        Err(LoadError::InvalidRate(rate))
    }
}

/// Everything the generator needs to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Base URL of the shop's gateway, e.g. `http://127.0.0.1:8080`.
    pub target: String,
    /// Arrivals per second; 0 pauses. Held whatever the shop does (open model).
    pub rate: f64,
    /// Exponential inter-arrival times (a Poisson process) instead of even spacing.
    pub poisson: bool,
    /// How arrivals are shared among journeys.
    pub weights: Weights,
    /// Journeys allowed in flight at once; arrivals over it are counted as
    /// `dropped`, so a stalled shop cannot exhaust the generator's memory.
    pub max_in_flight: usize,
    /// Client-side limit on one journey; past it the outcome is `timeout`.
    pub timeout: Duration,
    /// Seed for journey choice and journey data, to replay a run.
    pub seed: Option<u64>,
}

impl LoadConfig {
    /// Defaults for `target`: 10 arrivals/s, default weights, 1024 in flight, 5 s timeout.
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            rate: 10.0,
            poisson: false,
            weights: Weights::default(),
            max_in_flight: 1024,
            timeout: Duration::from_secs(5),
            seed: None,
        }
    }

    /// Checks every field; the error names the one that is wrong.
    pub fn validate(&self) -> Result<(), LoadError> {
        validate_rate(self.rate)?;
        self.weights.validate()?;
        let url = reqwest::Url::parse(&self.target)
            .map_err(|e| LoadError::InvalidConfig(format!("target {:?}: {e}", self.target)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(LoadError::InvalidConfig(format!(
                "target {:?}: scheme must be http or https",
                self.target
            )));
        }
        if self.max_in_flight == 0 {
            return Err(LoadError::InvalidConfig(
                "max_in_flight must be >= 1".into(),
            ));
        }
        if self.timeout.is_zero() {
            return Err(LoadError::InvalidConfig("timeout must be > 0".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_wrong_field() {
        let ok = LoadConfig::new("http://127.0.0.1:8080");
        assert_eq!(ok.validate(), Ok(()));
        let bad = |f: fn(&mut LoadConfig)| {
            let mut c = ok.clone();
            f(&mut c);
            c.validate().unwrap_err().to_string()
        };
        assert!(bad(|c| c.rate = -1.0).contains("rate"));
        assert!(bad(|c| c.rate = f64::NAN).contains("rate"));
        assert!(bad(|c| c.target = "ftp://x".into()).contains("scheme"));
        assert!(bad(|c| c.target = "nowhere".into()).contains("target"));
        assert!(bad(|c| c.max_in_flight = 0).contains("max_in_flight"));
        assert!(bad(|c| c.timeout = Duration::ZERO).contains("timeout"));
        assert!(bad(|c| c.weights.checkout = f64::INFINITY).contains("checkout"));
        assert!(bad(|c| c.weights = Weights::only(Journey::Browse).scaled(0.0)).contains("> 0"));
    }
}
