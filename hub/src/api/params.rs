//! Query-string parsing with errors that name the parameter.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::error::ApiError;
use super::types::Aggregation;

/// The raw query string as a map.
#[derive(Debug, Default)]
pub struct Params(pub HashMap<String, String>);

impl Params {
    fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim())
    }

    /// A string, if present and not empty.
    pub fn string(&self, name: &str) -> Option<String> {
        self.raw(name).filter(|s| !s.is_empty()).map(str::to_string)
    }

    /// A required string.
    pub fn required(&self, name: &'static str) -> Result<String, ApiError> {
        self.string(name)
            .ok_or_else(|| ApiError::bad(name, "is required"))
    }

    /// `1`/`true`/`yes` or `0`/`false`/`no`; absent is false, present and
    /// empty is true.
    pub fn flag(&self, name: &'static str) -> Result<bool, ApiError> {
        match self.raw(name) {
            None => Ok(false),
            Some("" | "1" | "true" | "yes") => Ok(true),
            Some("0" | "false" | "no") => Ok(false),
            Some(other) => Err(ApiError::bad(
                name,
                format!("expected 1 or 0, got {other:?}"),
            )),
        }
    }

    /// A non-negative integer within `1..=max`.
    pub fn count(&self, name: &'static str, max: usize) -> Result<Option<usize>, ApiError> {
        match self.raw(name).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::bad(
                    name,
                    format!("expected a whole number from 1 to {max}, got {s:?}"),
                )),
            },
        }
    }

    /// A finite non-negative number.
    pub fn number(&self, name: &'static str) -> Result<Option<f64>, ApiError> {
        match self.raw(name).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => match s.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(ApiError::bad(
                    name,
                    format!("expected a non-negative number, got {s:?}"),
                )),
            },
        }
    }

    /// A duration like `30s`, `500ms`, `5m` (a bare number is seconds),
    /// within `min..=max`.
    pub fn duration(
        &self,
        name: &'static str,
        min: Duration,
        max: Duration,
    ) -> Result<Option<Duration>, ApiError> {
        let Some(s) = self.raw(name).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let d = match s.parse::<f64>() {
            Ok(secs) if secs.is_finite() && secs >= 0.0 => Ok(Duration::from_secs_f64(secs)),
            _ => humantime::parse_duration(s),
        }
        .map_err(|_| {
            ApiError::bad(
                name,
                format!("expected a duration like 30s or 500ms, got {s:?}"),
            )
        })?;
        if d < min || d > max {
            return Err(ApiError::bad(
                name,
                format!(
                    "must be between {} and {}, got {s:?}",
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                ),
            ));
        }
        Ok(Some(d))
    }

    /// `k=v,k2=v2` label matchers.
    pub fn labels(&self, name: &'static str) -> Result<BTreeMap<String, String>, ApiError> {
        let mut out = BTreeMap::new();
        let Some(s) = self.raw(name).filter(|s| !s.is_empty()) else {
            return Ok(out);
        };
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                ApiError::bad(
                    name,
                    format!("expected k=v pairs separated by commas, got {pair:?}"),
                )
            })?;
            let k = k.trim();
            let valid = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(ApiError::bad(name, format!("{k:?} is not a label name")));
            }
            out.insert(k.to_string(), v.trim().trim_matches('"').to_string());
        }
        Ok(out)
    }

    /// `sum`, `avg`, `max` or `rate` (default `sum`).
    pub fn aggregation(&self, name: &'static str) -> Result<Aggregation, ApiError> {
        match self.raw(name).filter(|s| !s.is_empty()) {
            None | Some("sum") => Ok(Aggregation::Sum),
            Some("avg") => Ok(Aggregation::Avg),
            Some("max") => Ok(Aggregation::Max),
            Some("rate") => Ok(Aggregation::Rate),
            Some(other) => Err(ApiError::bad(
                name,
                format!("expected sum, avg, max or rate, got {other:?}"),
            )),
        }
    }
}
