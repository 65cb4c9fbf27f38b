//! The fault picker: a small form (kind, target, parameter, duration) that
//! turns into one [`AgentCall`] (the contract's request bodies).
//!
//! Kind names come from the contract: the toxics' registry, and for the
//! in-service kinds the [`FaultSpec`] the picker builds (so the picker and
//! the active-fault list name a fault alike). The consumer kinds
//! (`duplicate_delivery`, `poison_message`: [`FaultSpec::needs_consumer`])
//! land on a service the hub has seen consuming messages (the callee of a
//! messaging edge) when there is one; every service stays offered, since a
//! quiet consumer shows no edge, and one that consumes nothing refuses the
//! fault with its own message, which the status line shows.
//!
//! ```text
//!  kind      < latency >      ↑↓ field   ←→ value   Enter add   Esc cancel
//!  target    < echo >
//!  latency   < 300 ms >
//!  duration  < 30 s >
//! ```

use std::time::Duration;

use chaoslab_contract::ProcessAction;
use chaoslab_contract::wire::admin::{FaultSpec, ServiceFaultRequest};
use chaoslab_contract::wire::agent::ToxicSpec;
use chaoslab_contract::wire::delay::Delay;
use chaoslab_contract::wire::faults::ProcessFaultSpec;
use chaoslab_contract::wire::http_fault::{HttpAction, HttpFaultSpec};
use chaoslab_contract::wire::matcher::Match;
use serde_json::json;

use crate::agent::AgentCall;

mod kind;

pub use kind::FaultKind;

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
    /// Service names to offer for process and in-service faults.
    pub services: Vec<String>,
    /// Services seen consuming messages: a consumer kind lands on the
    /// first of them that is offered.
    pub consumers: Vec<String>,
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
            consumers: Vec::new(),
        }
    }

    /// The same, knowing which services consume messages.
    pub fn with_consumers(mut self, consumers: Vec<String>) -> FaultPicker {
        self.consumers = consumers;
        self
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
                if self.kind().needs_consumer() {
                    self.aim_at_consumer();
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

    /// Moves the target to the first service seen consuming, unless it is
    /// on one already (or none is offered).
    fn aim_at_consumer(&mut self) {
        let on_consumer = self
            .target()
            .is_some_and(|t| self.consumers.iter().any(|c| c == t));
        if on_consumer {
            return;
        }
        if let Some(i) = self
            .services
            .iter()
            .position(|s| self.consumers.contains(s))
        {
            self.target = i;
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
            k @ (FaultKind::ErrorRate
            | FaultKind::SlowStorage
            | FaultKind::CpuBurn
            | FaultKind::DuplicateDelivery
            | FaultKind::PoisonMessage) => service(k.service_fault(p)?),
        })
    }
}

#[cfg(test)]
mod tests;
