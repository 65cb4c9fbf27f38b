//! The hub's configuration: plain fields with defaults and a validating
//! constructor.

use std::time::Duration;

use crate::api::types::Target;

/// How the hub is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct HubConfig {
    /// Most spans the trace store holds; the oldest traces go first.
    pub span_budget: usize,
    /// Most bytes the trace store holds (about; see `traces::store`); the
    /// oldest traces go first.
    pub trace_bytes: usize,
    /// Most bytes the log store holds; the oldest records go first.
    pub log_bytes: usize,
    /// Longest string value kept in a span or log record (attributes,
    /// bodies, status messages), in bytes; longer ones are cut and counted.
    pub attr_value_max: usize,
    /// How long scraped samples are kept.
    pub retention: Duration,
    /// How often every target's `/metrics` is read.
    pub scrape_interval: Duration,
    /// How long one scrape may take before it counts as failed.
    pub scrape_timeout: Duration,
    /// The window "now" numbers (rates, error ratios, percentiles) cover
    /// unless a query names another.
    pub window: Duration,
    /// The chaos agent's API (e.g. `http://127.0.0.1:8474`), for `/api/faults`
    /// and the fault marks on topology edges.
    pub agent_url: Option<String>,
    /// Prometheus targets outside the lab, scraped beside the lab's own.
    pub extra_targets: Vec<Target>,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            span_budget: 100_000,
            trace_bytes: DEFAULT_TRACE_BYTES,
            log_bytes: DEFAULT_LOG_BYTES,
            attr_value_max: 4096,
            retention: Duration::from_secs(15 * 60),
            scrape_interval: Duration::from_secs(1),
            scrape_timeout: Duration::from_millis(900),
            window: Duration::from_secs(10),
            agent_url: None,
            extra_targets: Vec::new(),
        }
    }
}

/// The trace store's default byte budget: sized for a laptop.
pub const DEFAULT_TRACE_BYTES: usize = 256 << 20;
/// The log store's default byte budget.
pub const DEFAULT_LOG_BYTES: usize = 64 << 20;

pub use chaoslab_contract::size::parse_bytes;
use chaoslab_contract::size::{MIN_ATTR_VALUE_MAX, MIN_STORE_BYTES};

/// A configuration value that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid hub config: {field}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub reason: String,
}

impl HubConfig {
    /// Checks the values; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field, reason: &str| {
            Err(ConfigError {
                field,
                reason: reason.to_string(),
            })
        };
        if self.span_budget == 0 {
            return err("span_budget", "must be at least 1");
        }
        if self.trace_bytes < MIN_STORE_BYTES {
            return err("trace_bytes", "must be at least 1MB");
        }
        if self.log_bytes < MIN_STORE_BYTES {
            return err("log_bytes", "must be at least 1MB");
        }
        if self.attr_value_max < MIN_ATTR_VALUE_MAX {
            return err("attr_value_max", "must be at least 64 bytes");
        }
        if self.scrape_interval < Duration::from_millis(10) {
            return err("scrape_interval", "must be at least 10ms");
        }
        if self.retention < self.scrape_interval * 2 {
            return err("retention", "must cover at least two scrape intervals");
        }
        if self.scrape_timeout.is_zero() {
            return err("scrape_timeout", "must be positive");
        }
        if self.window.is_zero() {
            return err("window", "must be positive");
        }
        for t in &self.extra_targets {
            if reqwest::Url::parse(&t.url).is_err() {
                return Err(ConfigError {
                    field: "extra_targets",
                    reason: format!("{:?} is not a URL", t.url),
                });
            }
        }
        if let Some(u) = &self.agent_url
            && reqwest::Url::parse(u).is_err()
        {
            return Err(ConfigError {
                field: "agent_url",
                reason: format!("{u:?} is not a URL"),
            });
        }
        Ok(())
    }

    /// Points kept per series: retention / scrape interval.
    pub fn points_per_series(&self) -> usize {
        (self.retention.as_millis() / self.scrape_interval.as_millis().max(1)) as usize + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        assert_eq!(HubConfig::default().validate(), Ok(()));
        let bad = |c: HubConfig| c.validate().unwrap_err().field;
        assert_eq!(
            bad(HubConfig {
                span_budget: 0,
                ..Default::default()
            }),
            "span_budget"
        );
        assert_eq!(
            bad(HubConfig {
                retention: Duration::from_millis(1500),
                ..Default::default()
            }),
            "retention"
        );
        assert_eq!(
            bad(HubConfig {
                agent_url: Some("not a url".into()),
                ..Default::default()
            }),
            "agent_url"
        );
        let t = Target {
            name: "x".into(),
            url: "::".into(),
        };
        assert_eq!(
            bad(HubConfig {
                extra_targets: vec![t],
                ..Default::default()
            }),
            "extra_targets"
        );
        assert_eq!(HubConfig::default().points_per_series(), 901);
        assert_eq!(
            bad(HubConfig {
                trace_bytes: 1000,
                ..Default::default()
            }),
            "trace_bytes"
        );
    }

    #[test]
    fn set_targets_keeps_the_configured_extra_targets() {
        let extra = Target {
            name: "node".into(),
            url: "http://127.0.0.1:9100/metrics".into(),
        };
        let hub = crate::Hub::new(HubConfig {
            extra_targets: vec![extra.clone()],
            ..Default::default()
        });
        assert_eq!(hub.targets(), vec![extra.clone()]);
        let lab = Target {
            name: "users".into(),
            url: "http://127.0.0.1:8081/metrics".into(),
        };
        hub.set_targets(vec![lab.clone()]);
        assert_eq!(hub.targets(), vec![lab, extra.clone()]);
        hub.set_targets(Vec::new());
        assert_eq!(hub.targets(), vec![extra]);
        // an invalid config falls back to defaults instead of failing
        let h = crate::Hub::new(HubConfig {
            span_budget: 0,
            ..Default::default()
        });
        assert_eq!(h.config().span_budget, 100_000);
    }
}
