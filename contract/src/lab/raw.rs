//! The lab file's shape, as serde reads it: every value that a later check
//! may refuse keeps its span, so the error can name line and column.

use crate::ProxyMode;
use chaoslab_resilience::PolicyPatch;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLab {
    pub entry: Option<Spanned<String>>,
    /// A policy patch applied to every dependency of every service.
    pub defaults: Option<Spanned<PolicyPatch>>,
    #[serde(default)]
    pub services: BTreeMap<Spanned<String>, Spanned<RawService>>,
    pub load: Option<Spanned<RawLoad>>,
    /// The hub's store budgets and value cap.
    pub hub: Option<Spanned<RawHub>>,
}

/// `[hub]`: sizes as integers (bytes) or strings with a unit, checked in
/// `hub.rs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHub {
    pub trace_bytes: Option<Spanned<toml::Value>>,
    pub log_bytes: Option<Spanned<toml::Value>>,
    pub attr_value_max: Option<Spanned<toml::Value>>,
}

// The service settings (the built-in services read them from `/admin`
// too) are appended from the one list, `settings.rs`.
with_settings! {
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct RawService {
        pub builtin: Option<Spanned<String>>,
        pub command: Option<Spanned<Vec<Spanned<String>>>>,
        pub url: Option<Spanned<String>>,
        /// A message broker the lab runs: `"nats"`.
        pub broker: Option<Spanned<String>>,
        #[serde(default)]
        pub env: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
        pub dir: Option<Spanned<String>>,
        /// The set-up step: `{ python_requirements = FILE }` or `{ npm = FILE }`.
        pub prepare: Option<Spanned<RawPrepare>>,
        pub port: Option<Spanned<i64>>,
        pub proxy_port: Option<Spanned<i64>>,
        pub health: Option<Spanned<String>>,
        pub metrics: Option<Spanned<String>>,
        pub ready_timeout_ms: Option<Spanned<i64>>,
        #[serde(default)]
        pub depends_on: Option<Spanned<Vec<Spanned<RawDependency>>>>,
        /// A policy patch per dependency, on top of `[defaults]`.
        #[serde(default)]
        pub dependencies: BTreeMap<Spanned<String>, Spanned<PolicyPatch>>,
    }
}

/// A set-up step: one of its keys, a file relative to the service's `dir`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrepare {
    pub python_requirements: Option<String>,
    pub npm: Option<String>,
}

/// `"db"` or `{ name = "db", proxy = "tcp" }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawDependency {
    Name(String),
    /// Checked by hand, for messages that say what is wrong.
    Table(BTreeMap<String, toml::Value>),
}

impl RawDependency {
    /// The callee and the proxy mode, or what is wrong.
    pub fn read(&self) -> Result<(String, ProxyMode), String> {
        let table = match self {
            RawDependency::Name(n) => return Ok((n.clone(), ProxyMode::Http)),
            RawDependency::Table(t) => t,
        };
        if let Some(k) = table
            .keys()
            .find(|k| !matches!(k.as_str(), "name" | "proxy"))
        {
            return Err(format!("unknown field `{k}`, expected `name` or `proxy`"));
        }
        let name = match table.get("name") {
            Some(toml::Value::String(n)) => n.clone(),
            Some(_) => return Err("`name` must be a service name (a string)".into()),
            None => return Err("missing field `name` (the service depended on)".into()),
        };
        let mode = match table.get("proxy").map(|v| v.as_str()) {
            None => ProxyMode::Http,
            Some(Some("http")) => ProxyMode::Http,
            Some(Some("tcp")) => ProxyMode::Tcp,
            Some(other) => {
                return Err(format!(
                    "proxy {}: expected `http` or `tcp`",
                    other
                        .map(|s| format!("`{s}`"))
                        .unwrap_or_else(|| "must be a string".into())
                ));
            }
        };
        Ok((name, mode))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLoad {
    pub rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub journeys: Vec<Spanned<RawJourney>>,
    /// Virtual users: each a table of variables, e.g. `{ email = "...", password = "..." }`.
    pub users: Option<Spanned<Vec<BTreeMap<String, String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJourney {
    pub name: Spanned<String>,
    pub weight: Option<Spanned<f64>>,
    /// Plays with the values saved by an earlier play of this journey.
    pub after: Option<Spanned<String>>,
    pub steps: Spanned<Vec<Spanned<RawStep>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub method: Option<Spanned<String>>,
    pub path: Spanned<String>,
    /// One status or a list; none: any 2xx.
    pub expect: Option<Spanned<RawExpect>>,
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    pub body: Option<Spanned<toml::Value>>,
    /// Variables taken from the JSON answer: `{ token = "token" }`.
    #[serde(default)]
    pub save: BTreeMap<String, Spanned<String>>,
    /// Played once per virtual user; its saved values are reused.
    #[serde(default)]
    pub once: bool,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawExpect {
    One(i64),
    Many(Vec<i64>),
}
