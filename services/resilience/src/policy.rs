//! The policy of one dependency: what each mechanism does and whether it is on.
//!
//! A [`Policy`] is plain data, read from the services' TOML config and from
//! the admin API's JSON. Every duration is a `u64` of milliseconds in a field
//! named `*_ms`, every mechanism has an `enabled` switch, and every field has a
//! lab default, so a config file names only what it changes. Unknown fields
//! are refused, so a typo is an error rather than a silently ignored setting.
//! [`Policy::validate`] checks the values and names the offending field.

use serde::{Deserialize, Serialize};

/// Everything that decides how calls to one dependency behave.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    pub timeout: TimeoutPolicy,
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
    pub bulkhead: BulkheadPolicy,
    pub fallback: FallbackPolicy,
}

/// A time limit on each attempt, shortened by the caller's deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutPolicy {
    /// Off: attempts may take as long as they take, and the caller's deadline
    /// is not enforced either (the lesson "what a missing timeout does").
    pub enabled: bool,
    /// The longest one attempt may take.
    pub per_attempt_ms: u64,
}

impl Default for TimeoutPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            per_attempt_ms: 1_000,
        }
    }
}

/// Retries of retryable calls, with full-jitter backoff and a retry budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    pub enabled: bool,
    /// Attempts in total, the first one included (1 means no retry).
    pub max_attempts: u32,
    /// The backoff cap before retry n (0-based) is `base_delay_ms * 2^n`.
    pub base_delay_ms: u64,
    /// The cap never grows past this.
    pub max_delay_ms: u64,
    /// Off: retries are limited by `max_attempts` only, which lets a failing
    /// dependency multiply its own load (a retry storm).
    pub budget_enabled: bool,
    /// Retries allowed as a share of the calls seen in the budget window.
    pub budget_ratio: f64,
    /// Retries always allowed per second, so a quiet caller can still retry.
    pub budget_min_per_sec: u32,
    /// How far back the budget counts calls and retries.
    pub budget_window_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            max_attempts: 3,
            base_delay_ms: 50,
            max_delay_ms: 1_000,
            budget_enabled: true,
            budget_ratio: 0.2,
            budget_min_per_sec: 2,
            budget_window_ms: 10_000,
        }
    }
}

/// A circuit breaker over the last `window_size` calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerPolicy {
    pub enabled: bool,
    /// Opens when the share of failures in the window reaches this (0..=1).
    pub failure_rate_threshold: f64,
    /// How many of the most recent calls the failure rate is computed over.
    pub window_size: u32,
    /// The window must hold at least this many calls before it can open.
    pub min_calls: u32,
    /// How long it stays open before letting trial calls through.
    pub open_ms: u64,
    /// Trial calls let through when half-open; all must succeed to close.
    pub half_open_trials: u32,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            failure_rate_threshold: 0.5,
            window_size: 20,
            min_calls: 10,
            open_ms: 5_000,
            half_open_trials: 3,
        }
    }
}

/// A cap on concurrent calls; a call over the cap is refused at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BulkheadPolicy {
    pub enabled: bool,
    pub max_concurrent: u32,
}

impl Default for BulkheadPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            max_concurrent: 32,
        }
    }
}

/// Whether callers should serve their fallback when a call fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FallbackPolicy {
    pub enabled: bool,
}

impl Default for FallbackPolicy {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// A policy value that is out of range, naming the field (`retry.max_attempts`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct PolicyError {
    /// The dotted path of the field, e.g. `breaker.min_calls`.
    pub field: String,
    /// What is wrong with it, e.g. `must be >= 1`.
    pub problem: String,
}

impl PolicyError {
    fn new(field: &str, problem: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// The same error with the dependency's name in front of the field.
    pub fn in_dependency(mut self, dependency: &str) -> Self {
        self.field = format!("{dependency}.{}", self.field);
        self
    }
}

/// One hour: a longer timeout or delay is certainly a mistake.
const MAX_MS: u64 = 3_600_000;

fn at_least(field: &str, value: u64, min: u64) -> Result<(), PolicyError> {
    if value < min {
        return Err(PolicyError::new(
            field,
            format!("must be >= {min} (got {value})"),
        ));
    }
    Ok(())
}

fn at_most(field: &str, value: u64, max: u64) -> Result<(), PolicyError> {
    if value > max {
        return Err(PolicyError::new(
            field,
            format!("must be <= {max} (got {value})"),
        ));
    }
    Ok(())
}

fn in_range(field: &str, value: u64, min: u64, max: u64) -> Result<(), PolicyError> {
    at_least(field, value, min)?;
    at_most(field, value, max)
}

fn fraction(field: &str, value: f64, min_exclusive: bool, max: f64) -> Result<(), PolicyError> {
    let low_ok = if min_exclusive {
        value > 0.0
    } else {
        value >= 0.0
    };
    if !value.is_finite() || !low_ok || value > max {
        let low = if min_exclusive { "> 0" } else { ">= 0" };
        return Err(PolicyError::new(
            field,
            format!("must be {low} and <= {max} (got {value})"),
        ));
    }
    Ok(())
}

impl Policy {
    /// Checks every value; the error names the first field that is wrong.
    pub fn validate(&self) -> Result<(), PolicyError> {
        in_range(
            "timeout.per_attempt_ms",
            self.timeout.per_attempt_ms,
            1,
            MAX_MS,
        )?;

        let r = &self.retry;
        in_range("retry.max_attempts", r.max_attempts.into(), 1, 100)?;
        at_most("retry.base_delay_ms", r.base_delay_ms, MAX_MS)?;
        in_range(
            "retry.max_delay_ms",
            r.max_delay_ms,
            r.base_delay_ms,
            MAX_MS,
        )
        .map_err(|_| {
            PolicyError::new(
                "retry.max_delay_ms",
                format!(
                    "must be >= retry.base_delay_ms ({}) and <= {MAX_MS} (got {})",
                    r.base_delay_ms, r.max_delay_ms
                ),
            )
        })?;
        fraction("retry.budget_ratio", r.budget_ratio, false, 100.0)?;
        at_most(
            "retry.budget_min_per_sec",
            r.budget_min_per_sec.into(),
            1_000_000,
        )?;
        in_range("retry.budget_window_ms", r.budget_window_ms, 100, MAX_MS)?;

        let b = &self.breaker;
        fraction(
            "breaker.failure_rate_threshold",
            b.failure_rate_threshold,
            true,
            1.0,
        )?;
        in_range("breaker.window_size", b.window_size.into(), 1, 10_000)?;
        in_range(
            "breaker.min_calls",
            b.min_calls.into(),
            1,
            b.window_size.into(),
        )
        .map_err(|_| {
            PolicyError::new(
                "breaker.min_calls",
                format!(
                    "must be >= 1 and <= breaker.window_size ({}) (got {})",
                    b.window_size, b.min_calls
                ),
            )
        })?;
        in_range("breaker.open_ms", b.open_ms, 1, MAX_MS)?;
        in_range(
            "breaker.half_open_trials",
            b.half_open_trials.into(),
            1,
            1_000,
        )?;

        in_range(
            "bulkhead.max_concurrent",
            self.bulkhead.max_concurrent.into(),
            1,
            1_000_000,
        )?;
        Ok(())
    }
}
