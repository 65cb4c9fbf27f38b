//! The fault picker: a small form (kind, target, parameter, duration) that
//! turns into one [`AgentCall`] (the contract's request bodies).
//!
//! ```text
//!  kind      < latency >      ↑↓ field   ←→ value   Enter add   Esc cancel
//!  target    < echo >
//!  latency   < 300 ms >
//!  duration  < 30 s >
//! ```

use std::sync::LazyLock;
use std::time::Duration;

use chaoslab_contract::ProcessAction;
use chaoslab_contract::toxics::{self, ToxicDef};
use chaoslab_contract::wire::admin::{FaultSpec, ServiceFaultRequest};
use chaoslab_contract::wire::agent::ToxicSpec;
use chaoslab_contract::wire::delay::Delay;
use chaoslab_contract::wire::faults::ProcessFaultSpec;
use chaoslab_contract::wire::http_fault::{HttpAction, HttpFaultSpec};
use chaoslab_contract::wire::matcher::Match;
use serde_json::json;

use crate::agent::AgentCall;

/// What the picker can inject. The toxics are the registry's
/// (`chaoslab_contract::toxics`): every toxic is offered, with the first of
/// its attributes that has presets as the parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// A Toxiproxy toxic on a proxy.
    Toxic(&'static ToxicDef),
    /// HTTP fault: answer with a status instead of forwarding.
    HttpAbort,
    /// HTTP fault: hold each request.
    HttpDelay,
    /// Kill the service's process (the supervisor restarts it).
    Kill,
    /// Stop and start the service.
    Restart,
    /// SIGSTOP the service for the duration.
    Pause,
    /// In-service: answer 500 to a share of requests.
    ErrorRate,
    /// In-service: every storage call slower.
    SlowStorage,
    /// In-service: keep a thread busy.
    CpuBurn,
}

/// The kinds after the toxics, in picker order.
const OTHER_KINDS: [FaultKind; 8] = [
    FaultKind::HttpAbort,
    FaultKind::HttpDelay,
    FaultKind::Kill,
    FaultKind::Restart,
    FaultKind::Pause,
    FaultKind::ErrorRate,
    FaultKind::SlowStorage,
    FaultKind::CpuBurn,
];

static ALL: LazyLock<Vec<FaultKind>> = LazyLock::new(|| {
    toxics::REGISTRY
        .iter()
        .map(|def| FaultKind::Toxic(def))
        .chain(OTHER_KINDS)
        .collect()
});

impl FaultKind {
    /// Every kind, in picker order: the toxics first.
    pub fn all() -> &'static [FaultKind] {
        &ALL
    }

    /// Its name in the picker.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Toxic(def) => def.name,
            FaultKind::HttpAbort => "http abort",
            FaultKind::HttpDelay => "http delay",
            FaultKind::Kill => "kill",
            FaultKind::Restart => "restart",
            FaultKind::Pause => "pause",
            FaultKind::ErrorRate => "error rate",
            FaultKind::SlowStorage => "slow storage",
            FaultKind::CpuBurn => "cpu burn",
        }
    }

    /// Whether it acts on a service (its process or inside it) rather than
    /// on the proxy in front of it.
    pub fn targets_service(self) -> bool {
        matches!(
            self,
            FaultKind::Kill
                | FaultKind::Restart
                | FaultKind::Pause
                | FaultKind::ErrorRate
                | FaultKind::SlowStorage
                | FaultKind::CpuBurn
        )
    }

    /// The toxic attribute the picker sets (the first with presets).
    fn toxic_param(def: &'static ToxicDef) -> Option<&'static toxics::Attr> {
        def.attributes.iter().find(|a| !a.presets.is_empty())
    }

    /// The parameter's label, unit and preset values (empty: no parameter).
    pub fn param(self) -> (&'static str, &'static str, &'static [i64]) {
        match self {
            FaultKind::Toxic(def) => {
                Self::toxic_param(def).map_or(("", "", &[]), |a| (a.name, a.unit, a.presets))
            }
            FaultKind::HttpDelay => ("delay", "ms", &[100, 300, 1000, 3000, 50]),
            FaultKind::HttpAbort => ("status", "", &[503, 500, 429]),
            FaultKind::ErrorRate => ("share", "%", &[50, 20, 100, 5]),
            FaultKind::SlowStorage => ("latency", "ms", &[200, 1000, 50]),
            FaultKind::CpuBurn => ("busy", "%", &[100, 50]),
            _ => ("", "", &[]),
        }
    }
}

/// Duration presets, seconds; 0 means until removed.
pub const DURATIONS_S: [u64; 5] = [30, 60, 300, 10, 0];

/// The picker's fields, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerField {
    Kind,
    Target,
    Param,
    Duration,
}

/// The form's state.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPicker {
    /// Which field the arrows change.
    pub field: PickerField,
    /// Index into [`FaultKind::all`].
    pub kind: usize,
    /// Index into the targets for the kind.
    pub target: usize,
    /// Index into the kind's presets.
    pub param: usize,
    /// Index into [`DURATIONS_S`].
    pub duration: usize,
    /// Proxy names to offer.
    pub proxies: Vec<String>,
    /// Service names to offer for process faults.
    pub services: Vec<String>,
}

impl FaultPicker {
    /// A picker offering these proxies and services.
    pub fn new(proxies: Vec<String>, services: Vec<String>) -> FaultPicker {
        FaultPicker {
            field: PickerField::Kind,
            kind: 0,
            target: 0,
            param: 0,
            duration: 0,
            proxies,
            services,
        }
    }

    /// The kind chosen.
    pub fn kind(&self) -> FaultKind {
        let all = FaultKind::all();
        all[self.kind % all.len()]
    }

    /// The targets for the kind chosen.
    pub fn targets(&self) -> &[String] {
        if self.kind().targets_service() {
            &self.services
        } else {
            &self.proxies
        }
    }

    /// The target chosen, if any is offered.
    pub fn target(&self) -> Option<&str> {
        let t = self.targets();
        (!t.is_empty()).then(|| t[self.target % t.len()].as_str())
    }

    /// The parameter value chosen, if the kind has one.
    pub fn param_value(&self) -> Option<i64> {
        let (_, _, presets) = self.kind().param();
        (!presets.is_empty()).then(|| presets[self.param % presets.len()])
    }

    /// The duration chosen, seconds; `None` for until removed.
    pub fn duration_s(&self) -> Option<u64> {
        let d = DURATIONS_S[self.duration % DURATIONS_S.len()];
        (d > 0).then_some(d)
    }

    /// Fields shown for the kind chosen.
    pub fn fields(&self) -> Vec<PickerField> {
        let mut f = vec![PickerField::Kind, PickerField::Target];
        if self.param_value().is_some() {
            f.push(PickerField::Param);
        }
        f.push(PickerField::Duration);
        f
    }

    /// Moves to the next (`+1`) or previous (`-1`) field.
    pub fn move_field(&mut self, delta: i32) {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.field).unwrap_or(0) as i32;
        let n = fields.len() as i32;
        self.field = fields[((i + delta).rem_euclid(n)) as usize];
    }

    /// Changes the value of the current field.
    pub fn change(&mut self, delta: i32) {
        let step = |v: &mut usize, n: usize| {
            if n > 0 {
                *v = ((*v as i64 + delta as i64).rem_euclid(n as i64)) as usize;
            }
        };
        match self.field {
            PickerField::Kind => {
                let was_process = self.kind().targets_service();
                step(&mut self.kind, FaultKind::all().len());
                self.param = 0;
                if was_process != self.kind().targets_service() {
                    self.target = 0;
                }
            }
            PickerField::Target => {
                let n = self.targets().len();
                step(&mut self.target, n)
            }
            PickerField::Param => {
                let n = self.kind().param().2.len();
                step(&mut self.param, n)
            }
            PickerField::Duration => step(&mut self.duration, DURATIONS_S.len()),
        }
    }

    /// One line saying what Enter will do.
    pub fn summary(&self) -> String {
        let target = self.target().unwrap_or("?");
        let (label, unit, _) = self.kind().param();
        let param = self
            .param_value()
            .map(|v| format!(" {label} {v}{unit}"))
            .unwrap_or_default();
        let dur = self
            .duration_s()
            .map(|d| format!(" for {d}s"))
            .unwrap_or_else(|| " until removed".to_string());
        format!("{} on {target}{param}{dur}", self.kind().name())
    }

    /// The agent call for the form as filled; `None` without a target.
    pub fn request(&self) -> Option<AgentCall> {
        let target = self.target()?.to_string();
        let duration = self.duration_s().map(Duration::from_secs);
        let duration_ms = duration.map(|d| d.as_millis() as u64);
        let p = self.param_value().unwrap_or(0);
        let toxic = |kind: &str, attributes: serde_json::Value| AgentCall::Toxic {
            proxy: target.clone(),
            spec: ToxicSpec::new(kind, attributes),
            duration,
        };
        let http = |action: HttpAction| AgentCall::HttpFault {
            proxy: target.clone(),
            spec: HttpFaultSpec {
                action,
                matcher: Match::default(),
                percent: 100.0,
                duration_ms,
            },
        };
        let service = |fault: FaultSpec| AgentCall::ServiceFault {
            service: target.clone(),
            request: ServiceFaultRequest::new(fault, duration),
        };
        let process = |action: ProcessAction| AgentCall::Process {
            service: target.clone(),
            spec: ProcessFaultSpec {
                action,
                duration_ms,
            },
        };
        Some(match self.kind() {
            FaultKind::Toxic(def) => {
                // The parameter set, every other attribute at its default.
                let mut attributes = serde_json::Map::new();
                if let Some(attr) = FaultKind::toxic_param(def) {
                    attributes.insert(attr.name.to_string(), json!(p));
                }
                toxic(def.name, serde_json::Value::Object(attributes))
            }
            FaultKind::HttpAbort => http(HttpAction::Abort {
                status: p as u16,
                body: None,
            }),
            FaultKind::HttpDelay => http(HttpAction::Delay {
                delay: Delay::Fixed { ms: p as f64 },
            }),
            FaultKind::Kill => process(ProcessAction::Kill),
            FaultKind::Restart => process(ProcessAction::Restart),
            FaultKind::Pause => process(ProcessAction::Pause),
            FaultKind::ErrorRate => service(FaultSpec::ErrorRate {
                route: None,
                rate: p as f64 / 100.0,
                status: 500,
            }),
            FaultKind::SlowStorage => service(FaultSpec::SlowStorage {
                latency_ms: p as u64,
            }),
            FaultKind::CpuBurn => service(FaultSpec::CpuBurn {
                threads: 1,
                percent: p as u8,
            }),
        })
    }
}

#[cfg(test)]
mod tests;
