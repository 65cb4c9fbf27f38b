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
            // The parameters were checked by `validate`; a value it let
            // through that the distribution refuses draws its location.
            Delay::Normal { mean_ms, stddev_ms } => {
                rand_distr::Normal::new(mean_ms, stddev_ms).map_or(mean_ms, |d| rng.sample(d))
            }
            Delay::Pareto { scale_ms, shape } => {
                rand_distr::Pareto::new(scale_ms, shape).map_or(scale_ms, |d| rng.sample(d))
            }
        };
        Duration::from_secs_f64(ms.clamp(0.0, MAX_DELAY_MS) / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    //! Each distribution, over many draws, has the shape its parameters
    //! say (the seeded generator makes the draws the same every run).
    use super::*;
    use rand::SeedableRng;

    fn draws(d: Delay, n: usize) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(7);
        (0..n)
            .map(|_| d.sample(&mut rng).as_secs_f64() * 1000.0)
            .collect()
    }

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    fn share(v: &[f64], f: impl Fn(f64) -> bool) -> f64 {
        v.iter().filter(|x| f(**x)).count() as f64 / v.len() as f64
    }

    #[test]
    fn normal_has_its_mean_spread_and_one_sigma_share() {
        let v = draws(
            Delay::Normal {
                mean_ms: 200.0,
                stddev_ms: 50.0,
            },
            20_000,
        );
        let m = mean(&v);
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!((m - 200.0).abs() < 2.0, "mean {m}");
        assert!((sd - 50.0).abs() < 2.0, "stddev {sd}");
        let within = share(&v, |x| (x - 200.0).abs() < 50.0);
        assert!((within - 0.683).abs() < 0.02, "within one sigma {within}");
    }

    #[test]
    fn uniform_stays_in_its_range_and_fills_it_evenly() {
        let v = draws(
            Delay::Uniform {
                min_ms: 50.0,
                max_ms: 250.0,
            },
            20_000,
        );
        assert!(v.iter().all(|x| (50.0..250.0).contains(x)));
        for q in 0..4 {
            let lo = 50.0 + 50.0 * q as f64;
            let s = share(&v, |x| (lo..lo + 50.0).contains(&x));
            assert!((s - 0.25).abs() < 0.02, "quarter {q}: {s}");
        }
    }

    #[test]
    fn pareto_starts_at_its_scale_with_its_tail() {
        let v = draws(
            Delay::Pareto {
                scale_ms: 20.0,
                shape: 1.5,
            },
            20_000,
        );
        assert!(v.iter().all(|x| *x >= 20.0 - 1e-9));
        // P(X > x) = (scale / x)^shape.
        let tail = share(&v, |x| x > 40.0);
        assert!((tail - 0.5f64.powf(1.5)).abs() < 0.02, "P(X > 40) {tail}");
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let expected = 20.0 * 2f64.powf(1.0 / 1.5);
        assert!((median - expected).abs() < 1.5, "median {median}");
    }

    #[test]
    fn fixed_is_always_itself() {
        assert!(
            draws(Delay::Fixed { ms: 42.0 }, 100)
                .iter()
                .all(|x| (x - 42.0).abs() < 1e-6)
        );
    }
}
