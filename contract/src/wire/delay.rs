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

/// The longest delay a request may be held, in ms (an hour).
pub const MAX_DELAY_MS: f64 = 3_600_000.0;

/// A number as a person reads it: `1e30`, not thirty-one digits.
fn shown(v: f64) -> String {
    if v != 0.0 && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

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
    /// Check the parameters: every time from 0 to [`MAX_DELAY_MS`], a
    /// Pareto shape from 0.1 to 100 (smaller is a tail that is all outliers).
    pub fn validate(&self) -> Result<(), String> {
        let ms = |field: &str, v: f64| {
            if (0.0..=MAX_DELAY_MS).contains(&v) {
                Ok(())
            } else {
                Err(format!(
                    "delay.{field} must be from 0 to {MAX_DELAY_MS}, got {}",
                    shown(v)
                ))
            }
        };
        match *self {
            Delay::Fixed { ms: v } => ms("ms", v),
            Delay::Uniform { min_ms, max_ms } => {
                ms("min_ms", min_ms)?;
                ms("max_ms", max_ms)?;
                if max_ms < min_ms {
                    return Err(format!(
                        "delay.max_ms must be at least min_ms ({min_ms}), got {max_ms}"
                    ));
                }
                Ok(())
            }
            Delay::Normal { mean_ms, stddev_ms } => {
                ms("mean_ms", mean_ms)?;
                ms("stddev_ms", stddev_ms)
            }
            Delay::Pareto { scale_ms, shape } => {
                ms("scale_ms", scale_ms)?;
                if (0.1..=100.0).contains(&shape) {
                    Ok(())
                } else {
                    Err(format!(
                        "delay.shape must be from 0.1 to 100, got {}",
                        shown(shape)
                    ))
                }
            }
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
        Duration::from_secs_f64(ms.clamp(0.0, MAX_DELAY_MS) / 1000.0)
    }
}
