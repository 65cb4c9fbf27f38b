//! Delay distributions for HTTP delay faults, drawn from the proxy's seeded RNG.
//!
//! ```json
//! {"distribution": "fixed",   "ms": 200}
//! {"distribution": "uniform", "min_ms": 50, "max_ms": 250}
//! {"distribution": "normal",  "mean_ms": 200, "stddev_ms": 50}
//! {"distribution": "pareto",  "scale_ms": 20, "shape": 1.5}
//! ```

use std::time::Duration;

use rand::RngExt;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// How long to hold a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "lowercase")]
pub enum Delay {
    /// Always the same.
    Fixed { ms: f64 },
    /// Uniform between `min_ms` and `max_ms`.
    Uniform { min_ms: f64, max_ms: f64 },
    /// Normal, cut at 0.
    Normal { mean_ms: f64, stddev_ms: f64 },
    /// Pareto: `scale_ms` is the minimum; smaller `shape` gives a longer tail.
    Pareto { scale_ms: f64, shape: f64 },
}

impl Delay {
    /// Check the parameters.
    pub fn validate(&self) -> Result<(), String> {
        let ok = match *self {
            Delay::Fixed { ms } => ms >= 0.0,
            Delay::Uniform { min_ms, max_ms } => min_ms >= 0.0 && max_ms >= min_ms,
            Delay::Normal { mean_ms, stddev_ms } => mean_ms >= 0.0 && stddev_ms >= 0.0,
            Delay::Pareto { scale_ms, shape } => scale_ms >= 0.0 && shape > 0.0,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("invalid delay parameters: {self:?}"))
        }
    }

    /// Draw one delay.
    pub fn sample(&self, rng: &mut StdRng) -> Duration {
        let ms = match *self {
            Delay::Fixed { ms } => ms,
            Delay::Uniform { min_ms, max_ms } if max_ms > min_ms => {
                rng.random_range(min_ms..max_ms)
            }
            Delay::Uniform { min_ms, .. } => min_ms,
            Delay::Normal { mean_ms, stddev_ms } => {
                // Box-Muller.
                let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                let u2: f64 = rng.random();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                mean_ms + z * stddev_ms
            }
            Delay::Pareto { scale_ms, shape } => {
                let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
                scale_ms * u.powf(-1.0 / shape)
            }
        };
        Duration::from_secs_f64((ms.clamp(0.0, 3_600_000.0)) / 1000.0)
    }
}
