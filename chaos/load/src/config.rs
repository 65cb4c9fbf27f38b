//! The generator's configuration: target, arrival rate, the lab file's
//! journeys (the contract's model) and limits, as plain structs with
//! validating constructors.

use chaoslab_contract::Load;
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

pub use chaoslab_contract::wire::load::Weights;

/// [`Weights::validate`] as a [`LoadError`].
pub(crate) fn check_weights(w: &Weights) -> Result<(), LoadError> {
    w.validate().map_err(LoadError::InvalidWeights)
}

/// The index at `u` in [0, 1) along the cumulative `weights` (the last one
/// with any weight at the very top, where rounding lands).
pub(crate) fn pick(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut at = u * total;
    for (i, w) in weights.iter().enumerate() {
        if at < *w {
            return i;
        }
        at -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
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
    /// Base URL of the lab's entry service, e.g. `http://127.0.0.1:8080`.
    pub target: String,
    /// Arrivals per second; 0 pauses. Held whatever the target does (open model).
    pub rate: f64,
    /// Exponential inter-arrival times (a Poisson process) instead of even spacing.
    pub poisson: bool,
    /// The journeys, their weights and virtual users (a lab file's `[load]`;
    /// its `rate` is not read: `rate` above is).
    pub load: Load,
    /// Journeys allowed in flight at once; arrivals over it are counted as
    /// `dropped`, so a stalled target cannot exhaust the generator's memory.
    pub max_in_flight: usize,
    /// Client-side limit on one journey; past it the outcome is `timeout`.
    pub timeout: Duration,
    /// Seed for journey choice and journey data, to replay a run.
    pub seed: Option<u64>,
}

impl LoadConfig {
    /// Defaults for `target` and `load`: 10 arrivals/s, 1024 in flight, 5 s timeout.
    pub fn new(target: impl Into<String>, load: Load) -> Self {
        Self {
            target: target.into(),
            rate: 10.0,
            poisson: false,
            load,
            max_in_flight: 1024,
            timeout: Duration::from_secs(5),
            seed: None,
        }
    }

    /// Checks every field; the error names the one that is wrong.
    pub fn validate(&self) -> Result<(), LoadError> {
        validate_rate(self.rate)?;
        if self.load.journeys.is_empty() {
            return Err(LoadError::InvalidConfig(
                "no journeys to play (a lab file's [[load.journeys]])".into(),
            ));
        }
        check_weights(&Weights(
            self.load
                .journeys
                .iter()
                .map(|j| (j.name.clone(), j.weight))
                .collect(),
        ))?;
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

    fn load() -> Load {
        let lab = chaoslab_contract::Lab::parse(
            "lab.toml",
            "[services.a]\nurl = \"http://127.0.0.1:1\"\n[[load.journeys]]\nname = \"list\"\nsteps = [{ path = \"/\" }]\n",
            std::path::Path::new("/tmp"),
        )
        .unwrap();
        lab.load
    }

    #[test]
    fn validation_names_the_wrong_field() {
        let ok = LoadConfig::new("http://127.0.0.1:8080", load());
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
        assert!(bad(|c| c.load.journeys[0].weight = f64::INFINITY).contains("list"));
        assert!(bad(|c| c.load.journeys[0].weight = 0.0).contains("> 0"));
        assert!(bad(|c| c.load.journeys.clear()).contains("no journeys"));
    }

    #[test]
    fn picks_follow_the_cumulative_weights() {
        let w = [40.0, 0.0, 60.0];
        assert_eq!(pick(&w, 0.0), 0);
        assert_eq!(pick(&w, 0.39), 0);
        assert_eq!(pick(&w, 0.41), 2);
        assert_eq!(pick(&w, 0.999_999_999), 2);
        assert_eq!(
            pick(&[1.0, 0.0], 1.0),
            0,
            "rounding at the top: the last with weight"
        );
    }
}
