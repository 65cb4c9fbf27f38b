//! The lab config file (TOML): resilience defaults, per-dependency policies
//! and per-service settings. Errors name the file, the line and the key.
//!
//! ```toml
//! [defaults]                       # a policy patch applied to every dependency
//! timeout = { enabled = true, timeout_ms = 800 }
//!
//! [services.gateway]
//! request_deadline_ms = 3000
//! [services.orders.dependencies.payments]
//! breaker = { enabled = false }
//! ```

use crate::context::ServiceSettings;
use chaoslab_resilience::{Policy, PolicyPatch};
use serde::Deserialize;
use std::{collections::BTreeMap, ops::Range, path::Path};
use toml::Spanned;

/// A config file problem: where, and what.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {key}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    defaults: Option<Spanned<PolicyPatch>>,
    #[serde(default)]
    services: BTreeMap<Spanned<String>, RawService>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    propagate_deadline: Option<bool>,
    request_deadline_ms: Option<u64>,
    honour_idempotency_keys: Option<bool>,
    #[serde(default)]
    dependencies: BTreeMap<Spanned<String>, Spanned<PolicyPatch>>,
}

/// The resolved config of one service.
#[derive(Debug, Clone, Default)]
pub struct ServiceConfig {
    pub settings: ServiceSettings,
    /// Policy per dependency (only those the file names; the rest use `default_policy`).
    pub policies: BTreeMap<String, Policy>,
    pub default_policy: Policy,
}

/// The whole lab config, resolved and validated.
#[derive(Debug, Clone, Default)]
pub struct LabConfig {
    pub default_policy: Policy,
    services: BTreeMap<String, ServiceConfig>,
}

impl LabConfig {
    /// Reads and validates `path`. `topology` lists each service and its
    /// dependencies, so unknown names are refused.
    pub fn load(path: &Path, topology: &[(&str, &[&str])]) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&path.display().to_string(), &text, topology)
    }

    /// Parses `text` (named `file` in errors).
    pub fn parse(
        file: &str,
        text: &str,
        topology: &[(&str, &[&str])],
    ) -> Result<Self, ConfigError> {
        let err = |span: Option<Range<usize>>, key: &str, message: String| {
            let (line, column) = span.map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            ConfigError {
                file: file.into(),
                line,
                column,
                key: key.into(),
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            err(e.span(), "", msg)
        })?;
        let mut default_policy = Policy::default();
        if let Some(d) = &raw.defaults {
            default_policy = default_policy
                .apply(d.get_ref())
                .map_err(|e| err(Some(d.span()), "defaults", e.to_string()))?;
        }
        let mut services = BTreeMap::new();
        for (name, svc) in &raw.services {
            let Some((_, deps)) = topology.iter().find(|(n, _)| *n == name.get_ref()) else {
                let known: Vec<&str> = topology.iter().map(|(n, _)| *n).collect();
                return Err(err(
                    Some(name.span()),
                    &format!("services.{}", name.get_ref()),
                    format!("unknown service; known: {}", known.join(", ")),
                ));
            };
            let mut cfg = ServiceConfig {
                default_policy: default_policy.clone(),
                ..Default::default()
            };
            if let Some(p) = svc.propagate_deadline {
                cfg.settings.propagate_deadline = p;
            }
            if let Some(h) = svc.honour_idempotency_keys {
                cfg.settings.honour_idempotency_keys = h;
            }
            cfg.settings.request_deadline_ms =
                svc.request_deadline_ms.or(cfg.settings.request_deadline_ms);
            for (dep, patch) in &svc.dependencies {
                let key = format!("services.{}.dependencies.{}", name.get_ref(), dep.get_ref());
                if !deps.contains(&dep.get_ref().as_str()) {
                    return Err(err(
                        Some(dep.span()),
                        &key,
                        format!(
                            "{} has no such dependency; it calls: {}",
                            name.get_ref(),
                            deps.join(", ")
                        ),
                    ));
                }
                let policy = default_policy
                    .apply(patch.get_ref())
                    .map_err(|e| err(Some(patch.span()), &key, e.to_string()))?;
                cfg.policies.insert(dep.get_ref().clone(), policy);
            }
            services.insert(name.get_ref().clone(), cfg);
        }
        Ok(Self {
            default_policy,
            services,
        })
    }

    /// The config of `service` (defaults when the file does not name it).
    pub fn service(&self, service: &str) -> ServiceConfig {
        self.services
            .get(service)
            .cloned()
            .unwrap_or_else(|| ServiceConfig {
                default_policy: self.default_policy.clone(),
                ..Default::default()
            })
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map(|i| offset - i).unwrap_or(offset + 1);
    (line, column)
}
