//! Actions: the steps of a method and of the rollbacks.
//!
//! Each action is a one-key map naming its kind: `fault`, `clear_faults`,
//! `policy`, `settings`, `process`, `load`, `wait`, `check`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chaoslab_contract::toxics::{self, ToxicDef};
use chaoslab_contract::wire::load::Weights;
use chaoslab_contract::wire::service_fault;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Spanned;
use crate::duration::Dur;

/// A step.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Add a fault for a while.
    Fault(FaultAction),
    /// Remove every fault: toxics, proxies down, HTTP and in-service faults.
    ClearFaults(ClearFaults),
    /// Change a dependency's resilience policy.
    Policy(PolicyAction),
    /// Change a service's request settings (deadlines, idempotency keys).
    Settings(SettingsAction),
    /// Kill, stop for a while, pause, resume or restart a service's process.
    Process(ProcessStep),
    /// Set the load generator's rate.
    Load(LoadStep),
    /// Do nothing for a while.
    Wait(Dur),
    /// Check the hypothesis now; the text labels the check in reports.
    Check(String),
}

/// `clear_faults: {}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearFaults {}

/// Where a fault is injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// On the agent's proxy in front of the target (a toxic, an HTTP fault,
    /// the proxy down).
    Proxy,
    /// Inside the target service (its admin API).
    Service,
}

/// Every fault kind the agent has. The toxics are the registry's
/// (`chaoslab_contract::toxics`), so a new toxic needs nothing here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// One of Toxiproxy's toxics, on a proxy.
    Toxic(&'static ToxicDef),
    /// The proxy stops listening: connections are refused.
    Down,
    // HTTP faults, on an http-mode proxy.
    HttpAbort,
    HttpDelay,
    /// An in-service fault, by its name in the contract's table
    /// ([`service_fault::PARAMS`]); its namesake of a toxic (`latency`) is
    /// the toxic on `layer: service`.
    Service(&'static str),
}

/// The kinds that are not toxics, by name: the agent's own, then the
/// contract's in-service kinds that no toxic shares a name with.
static OTHER_KINDS: LazyLock<Vec<(&'static str, FaultKind)>> = LazyLock::new(|| {
    let mut kinds = vec![
        ("down", FaultKind::Down),
        ("http_abort", FaultKind::HttpAbort),
        ("http_delay", FaultKind::HttpDelay),
    ];
    kinds.extend(
        service_fault::KINDS
            .iter()
            .filter(|k| toxics::find(k).is_none())
            .map(|k| (*k, FaultKind::Service(k))),
    );
    kinds
});

/// Every kind's name: the toxics, then the others.
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    toxics::names()
        .chain(OTHER_KINDS.iter().map(|(n, _)| *n))
        .collect()
});

impl FaultKind {
    /// Every kind's name, as written in files.
    pub fn names() -> &'static [&'static str] {
        &NAMES
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<FaultKind> {
        toxics::find(name).map(FaultKind::Toxic).or_else(|| {
            OTHER_KINDS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, k)| *k)
        })
    }

    /// The snake_case name (the toxic type or in-service kind).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Toxic(def) => def.name,
            other => OTHER_KINDS
                .iter()
                .find(|(_, k)| *k == other)
                .map_or("", |(n, _)| *n),
        }
    }

    /// Where the kind lives when the file does not say; a toxic that shares
    /// its name with an in-service fault (`latency`) means the toxic unless
    /// `layer: service`.
    pub fn default_layer(self) -> Layer {
        match self {
            FaultKind::Service(_) => Layer::Service,
            _ => Layer::Proxy,
        }
    }

    /// Whether it acts on a consumer of events (`duplicate_delivery`,
    /// `poison_message`).
    pub fn needs_consumer(self) -> bool {
        service_fault::CONSUMER_KINDS.contains(&self.as_str())
    }

    /// Whether the kind is a Toxiproxy toxic.
    pub fn is_toxic(self) -> bool {
        matches!(self, FaultKind::Toxic(_))
    }
}

impl Serialize for FaultKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FaultKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = FaultKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a fault kind")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FaultKind, E> {
                FaultKind::from_name(v).ok_or_else(|| E::unknown_variant(v, FaultKind::names()))
            }
        }
        d.deserialize_str(Name)
    }
}

/// Which way a toxic acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// Client to server.
    Upstream,
    /// Server to client (the default).
    Downstream,
}

/// `fault`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultAction {
    pub kind: FaultKind,
    /// A proxy (named after the callee) or a service, by the layer.
    pub target: Spanned<String>,
    /// How long it lasts; never longer than the experiment's remaining time.
    pub duration: Dur,
    /// `proxy` or `service`; from the kind when absent.
    #[serde(default)]
    pub layer: Option<Layer>,
    /// Toxics: which direction (downstream when absent).
    #[serde(default)]
    pub stream: Option<Stream>,
    /// Toxics: share of connections affected, 0..=1 (1 when absent).
    #[serde(default)]
    pub toxicity: Option<f32>,
    /// The kind's own parameters: toxic attributes (`latency: 2000`), HTTP
    /// fault fields (`status: 503`, `percent: 50`, `match: {...}`), or
    /// in-service fields (`rate: 0.5`, `latency_ms: 800`).
    #[serde(default)]
    pub params: Option<Spanned<BTreeMap<String, Value>>>,
}

/// `policy`: a patch onto one dependency's policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyAction {
    pub service: Spanned<String>,
    pub dependency: Spanned<String>,
    /// A policy patch: `{timeout: {enabled: false}}`, `{breaker: {open_ms: 3000}}`.
    pub set: Spanned<BTreeMap<String, Value>>,
}

/// `settings`: a patch onto a service's request settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsAction {
    pub service: Spanned<String>,
    /// `{propagate_deadline: false}`, `{request_deadline_ms: 2000}`,
    /// `{honour_idempotency_keys: false}`.
    pub set: Spanned<BTreeMap<String, Value>>,
}

pub use chaoslab_contract::ProcessAction;

/// `process`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessStep {
    pub target: Spanned<String>,
    pub action: ProcessAction,
    /// Pause: resume after this long; stop: stay down this long (required
    /// for both).
    #[serde(default)]
    pub duration: Option<Dur>,
}

/// `load`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadStep {
    /// Journeys per second.
    pub rate: f64,
    /// Weights by journey name to change (the others keep theirs).
    #[serde(default)]
    pub weights: Option<Spanned<Weights>>,
}

impl Action {
    /// The kind, as written in files.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Fault(_) => "fault",
            Action::ClearFaults(_) => "clear_faults",
            Action::Policy(_) => "policy",
            Action::Settings(_) => "settings",
            Action::Process(_) => "process",
            Action::Load(_) => "load",
            Action::Wait(_) => "wait",
            Action::Check(_) => "check",
        }
    }

    /// A short description for progress lines and reports.
    pub fn describe(&self) -> String {
        match self {
            Action::Fault(f) => format!(
                "fault {} on {} for {}",
                f.kind.as_str(),
                f.target.value,
                f.duration
            ),
            Action::ClearFaults(_) => "clear every fault".to_string(),
            Action::Policy(p) => format!(
                "policy {} -> {}: {}",
                p.service.value,
                p.dependency.value,
                compact(&p.set.value)
            ),
            Action::Settings(s) => {
                format!("settings {}: {}", s.service.value, compact(&s.set.value))
            }
            Action::Process(p) => format!("process {} {}", p.action.as_str(), p.target.value),
            Action::Load(l) => match &l.weights {
                Some(w) => format!("load rate {}/s, weights {}", l.rate, weights(&w.value)),
                None => format!("load rate {}/s", l.rate),
            },
            Action::Wait(d) => format!("wait {d}"),
            Action::Check(label) => format!("check: {label}"),
        }
    }
}

/// `checkout 1, browse 0`: a journey mix as reports show it.
pub fn weights(w: &Weights) -> String {
    w.0.iter()
        .map(|(name, w)| format!("{name} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn compact(map: &BTreeMap<String, Value>) -> String {
    serde_json::to_string(map).unwrap_or_default()
}
