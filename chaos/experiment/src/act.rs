//! Carrying out actions, and remembering how to undo each change so that the
//! rollbacks restore the lab whatever happened.
//!
//! Every change the runner makes pushes an [`Undo`] onto the ledger before
//! (or, when the undo needs an id the lab hands out, right after) it is
//! made; the rollbacks pop them in reverse order, then run the file's own
//! rollbacks. Undos are idempotent: removing what is already gone is fine.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chaoslab_contract::client::{DownHow, ToxicAdded};
use chaoslab_contract::wire::admin::{PolicyPatch, ServiceFaultRequest};
use chaoslab_contract::wire::agent::ToxicSpec;
use chaoslab_contract::wire::faults::{ProcessFaultSpec, TimedToxic};
use chaoslab_contract::wire::http_fault::HttpFaultSpec;
use chaoslab_contract::wire::load::{LoadUpdate, Weights};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::error::RunError;
use crate::lab::{Lab, gone_is_fine};
use crate::model::{Action, FaultAction, FaultKind, Layer, ProcessAction};

/// One change to take back.
#[derive(Debug, Clone, PartialEq)]
pub enum Undo {
    /// A toxic the runner added.
    Toxic { proxy: String, name: String },
    /// A proxy the runner took down.
    ProxyUp { proxy: String },
    /// A `/chaos` fault by id: an HTTP fault, a timed proxy down, a process
    /// stop (removing it ends the outage).
    AgentFault { id: String },
    /// An in-service fault by id.
    ServiceFault { service: String, id: String },
    /// A policy as it was before the runner patched it.
    Policy {
        service: String,
        dependency: String,
        previous: PolicyPatch,
    },
    /// Settings as they were.
    Settings {
        service: String,
        /// The changed fields with their values before (a patch).
        previous: Value,
    },
    /// A paused process.
    Resume { service: String },
    /// The load generator's rate as it was.
    LoadRate { previous: f64 },
    /// The load generator's journey weights as they were.
    LoadWeights { previous: Weights },
}

impl Undo {
    /// What the undo does, for progress lines and the journal.
    pub fn describe(&self) -> String {
        match self {
            Undo::Toxic { proxy, name } => format!("remove toxic {name} from {proxy}"),
            Undo::ProxyUp { proxy } => format!("bring proxy {proxy} back up"),
            Undo::AgentFault { id } => format!("remove agent fault {id}"),
            Undo::ServiceFault { service, id } => format!("remove {service} fault {id}"),
            Undo::Policy {
                service,
                dependency,
                ..
            } => format!("restore policy {service} -> {dependency}"),
            Undo::Settings { service, .. } => format!("restore settings of {service}"),
            Undo::Resume { service } => format!("resume {service}"),
            Undo::LoadRate { previous } => format!("restore load rate {previous}/s"),
            Undo::LoadWeights { previous } => {
                format!(
                    "restore load weights {}",
                    crate::model::actions::weights(previous)
                )
            }
        }
    }

    /// Takes the change back.
    pub async fn run(&self, lab: &Lab) -> Result<(), RunError> {
        match self {
            Undo::Toxic { proxy, name } => {
                gone_is_fine(lab.agent()?.remove_toxic(proxy, name).await)
            }
            Undo::ProxyUp { proxy } => Ok(lab.agent()?.set_enabled(proxy, true).await.map(drop)?),
            Undo::AgentFault { id } => gone_is_fine(lab.agent()?.remove_fault(id).await),
            Undo::ServiceFault { service, id } => {
                gone_is_fine(lab.service(service)?.remove_fault(id).await)
            }
            Undo::Policy {
                service,
                dependency,
                previous,
            } => Ok(lab
                .service(service)?
                .put_policy(dependency, previous)
                .await
                .map(drop)?),
            Undo::Settings { service, previous } => Ok(lab
                .service(service)?
                .patch_settings(previous)
                .await
                .map(drop)?),
            Undo::Resume { service } => {
                let spec = ProcessFaultSpec {
                    action: ProcessAction::Resume,
                    duration_ms: None,
                };
                Ok(lab.agent()?.process_fault(service, &spec).await.map(drop)?)
            }
            Undo::LoadRate { previous } => {
                Ok(lab.loadgen()?.set_rate(*previous).await.map(drop)?)
            }
            Undo::LoadWeights { previous } => {
                let update = LoadUpdate {
                    weights: Some(previous.clone()),
                    ..LoadUpdate::default()
                };
                Ok(lab.loadgen()?.update(&update).await.map(drop)?)
            }
        }
    }
}

/// The request body a fault step sends: for a service, its admin API's
/// fault; for an HTTP fault, the agent's; for a toxic, Toxiproxy's toxic
/// (plus `duration_ms`). `chaoslab run --check` validates this same body with
/// the rules of whoever receives it.
pub fn fault_request(f: &FaultAction, params: &Map<String, Value>, duration: Duration) -> Value {
    let ms = (duration.as_millis() as u64).max(1);
    let layer = f.layer.unwrap_or(f.kind.default_layer());
    let mut body = params.clone();
    match (f.kind, layer) {
        (_, Layer::Service) => {
            body.insert("kind".into(), json!(f.kind.as_str()));
        }
        (FaultKind::HttpAbort | FaultKind::HttpDelay, _) => {
            let kind = if f.kind == FaultKind::HttpAbort {
                "abort"
            } else {
                "delay"
            };
            body.insert("type".into(), json!(kind));
        }
        (FaultKind::Down, _) => body.clear(),
        (kind, _) => {
            let stream = match f.stream {
                Some(crate::model::actions::Stream::Upstream) => "upstream",
                _ => "downstream",
            };
            return json!({
                "type": kind.as_str(),
                "stream": stream,
                "toxicity": f.toxicity.unwrap_or(1.0),
                "attributes": Value::Object(body),
                "duration_ms": ms,
            });
        }
    }
    body.insert("duration_ms".into(), json!(ms));
    Value::Object(body)
}

/// A fault step's request, typed by the contract's rules: what `chaoslab run
/// --check` validates and what the runner sends.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultRequest {
    /// An in-service fault (through the service's admin API).
    Service(ServiceFaultRequest),
    /// An HTTP fault on an http-mode proxy.
    Http(HttpFaultSpec),
    /// A toxic (its duration goes with the call).
    Toxic(ToxicSpec),
    /// A proxy down.
    Down,
}

impl FaultRequest {
    /// Reads a [`fault_request`] body by the rules of whoever applies it:
    /// the services' in-service fault rules, the agent's HTTP fault rules;
    /// a toxic's attributes are the agent's toxics' to check.
    pub fn parse(kind: FaultKind, layer: Layer, body: &Value) -> Result<Self, String> {
        match (kind, layer) {
            (FaultKind::Down, _) => Ok(FaultRequest::Down),
            (_, Layer::Service) => ServiceFaultRequest::from_value(body.clone())
                .map(FaultRequest::Service)
                .map_err(|e| e.to_string()),
            (FaultKind::HttpAbort | FaultKind::HttpDelay, _) => {
                let spec: HttpFaultSpec =
                    serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
                spec.validate()?;
                Ok(FaultRequest::Http(spec))
            }
            _ => {
                let timed: TimedToxic =
                    serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
                Ok(FaultRequest::Toxic(timed.toxic))
            }
        }
    }
}

/// What actions need: the lab, the ledger, the time left.
#[derive(Debug)]
pub struct Actor<'a> {
    pub lab: &'a Lab,
    pub ledger: &'a Mutex<Vec<Undo>>,
    /// When the experiment must be over; faults never outlast it.
    pub deadline: Instant,
    /// Scales durations (short CI runs).
    pub scale: f64,
    /// Makes toxic names unique within the run.
    pub counter: AtomicU32,
}

impl Actor<'_> {
    pub(crate) fn push(&self, undo: Undo) {
        self.ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(undo);
    }

    /// The time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Carries out a state-changing action (not `wait` or `check`, which the
    /// runner handles); returns a note for the journal.
    pub async fn act(&self, action: &Action) -> Result<Option<String>, RunError> {
        match action {
            Action::Fault(f) => self.fault(f).await.map(Some),
            Action::ClearFaults(_) => self.clear_faults().await,
            Action::Policy(p) => {
                let svc = self.lab.service(&p.service.value)?;
                let patch: PolicyPatch = serde_json::from_value(Value::Object(
                    p.set.value.clone().into_iter().collect(),
                ))
                .map_err(|e| RunError::Lab(format!("policy patch: {e}")))?;
                let status = svc.dependency(&p.dependency.value).await?;
                // The whole policy as a patch: every field, so it restores all.
                let previous: PolicyPatch = serde_json::to_value(&status.policy)
                    .and_then(serde_json::from_value)
                    .map_err(|e| RunError::Lab(format!("the policy as a patch: {e}")))?;
                self.push(Undo::Policy {
                    service: p.service.value.clone(),
                    dependency: p.dependency.value.clone(),
                    previous,
                });
                svc.put_policy(&p.dependency.value, &patch)
                    .await
                    .map(|_| None)
                    .map_err(RunError::from)
            }
            Action::Settings(s) => {
                let svc = self.lab.service(&s.service.value)?;
                let patch = Value::Object(s.set.value.clone().into_iter().collect());
                let current = serde_json::to_value(svc.settings().await?)
                    .map_err(|e| RunError::Lab(format!("the settings as JSON: {e}")))?;
                // The undo puts back only what this step changes.
                let previous = Value::Object(
                    s.set
                        .value
                        .keys()
                        .map(|k| (k.clone(), current.get(k).cloned().unwrap_or(Value::Null)))
                        .collect(),
                );
                self.push(Undo::Settings {
                    service: s.service.value.clone(),
                    previous,
                });
                svc.patch_settings(&patch).await?;
                Ok(None)
            }
            Action::Process(p) => {
                let timed = matches!(p.action, ProcessAction::Pause | ProcessAction::Stop);
                let duration = match p.duration {
                    Some(d) => Some(self.clamp(d.scaled(self.scale))?),
                    None if timed => Some(self.clamp(Duration::MAX)?),
                    None => None,
                };
                let agent = self.lab.agent()?;
                if p.action == ProcessAction::Pause {
                    self.push(Undo::Resume {
                        service: p.target.value.clone(),
                    });
                }
                let ms = duration.map(|d| d.as_millis() as u64);
                let spec = ProcessFaultSpec {
                    action: p.action,
                    duration_ms: ms,
                };
                let id = agent.process_fault(&p.target.value, &spec).await?.id;
                // Removing a stop's fault ends the outage: the process starts.
                if p.action == ProcessAction::Stop && !id.is_empty() {
                    self.push(Undo::AgentFault { id });
                }
                Ok(ms.map(|ms| format!("for {ms} ms")))
            }
            Action::Load(l) => {
                let lg = self.lab.loadgen()?;
                let before = lg.report().await?;
                self.push(Undo::LoadRate {
                    previous: before.rate,
                });
                let weights = l.weights.as_ref().map(|w| w.value.clone());
                if weights.is_some() {
                    self.push(Undo::LoadWeights {
                        previous: before.weights,
                    });
                }
                lg.update(&LoadUpdate {
                    rate: Some(l.rate),
                    weights,
                })
                .await?;
                Ok(None)
            }
            Action::Wait(_) | Action::Check(_) => Ok(None),
        }
    }

    /// `wanted`, cut to the time left; an error when no time is left.
    fn clamp(&self, wanted: Duration) -> Result<Duration, RunError> {
        let left = self.remaining();
        if left < Duration::from_millis(1) {
            return Err(RunError::Lab(
                "no time left before the experiment's max_duration".into(),
            ));
        }
        Ok(wanted.min(left))
    }

    async fn fault(&self, f: &FaultAction) -> Result<String, RunError> {
        let wanted = f.duration.scaled(self.scale);
        let duration = self.clamp(wanted)?;
        let ms = (duration.as_millis() as u64).max(1);
        let note = if duration < wanted {
            format!("for {ms} ms (cut to the time left)")
        } else {
            format!("for {ms} ms")
        };
        let target = f.target.value.clone();
        let params: Map<String, Value> = f
            .params
            .as_ref()
            .map(|p| p.value.clone().into_iter().collect())
            .unwrap_or_default();
        let layer = f.layer.unwrap_or(f.kind.default_layer());
        let body = fault_request(f, &params, Duration::from_millis(ms));
        let request = FaultRequest::parse(f.kind, layer, &body)
            .map_err(|e| RunError::Lab(format!("{} on {target}: {e}", f.kind.as_str())))?;
        let agent = || self.lab.agent();
        match request {
            FaultRequest::Service(request) => {
                let svc = self.lab.service(&target)?;
                let id = svc.add_fault(&request).await?.id;
                self.push(Undo::ServiceFault {
                    service: target,
                    id: id.clone(),
                });
                Ok(format!("{note}, id {id}"))
            }
            FaultRequest::Down => {
                // Brought back up by the rollbacks whichever way it went
                // down; a timed down also comes back by itself.
                self.push(Undo::ProxyUp {
                    proxy: target.clone(),
                });
                match agent()?
                    .take_down(&target, Duration::from_millis(ms))
                    .await?
                {
                    DownHow::Timed { id } => {
                        if !id.is_empty() {
                            self.push(Undo::AgentFault { id: id.clone() });
                        }
                        Ok(format!(
                            "{note}, id {id}; the proxy comes back up by itself"
                        ))
                    }
                    DownHow::Plain => Ok(format!(
                        "{note}; the proxy stays down until the rollbacks (no timed down on this agent)"
                    )),
                }
            }
            FaultRequest::Http(spec) => {
                let id = agent()?.add_http_fault(&target, &spec).await?.id;
                self.push(Undo::AgentFault { id: id.clone() });
                Ok(format!("{note}, id {id}"))
            }
            FaultRequest::Toxic(mut toxic) => {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                let name = format!("experiment_{}_{n}", f.kind.as_str());
                toxic.name = name.clone();
                self.push(Undo::Toxic {
                    proxy: target.clone(),
                    name: name.clone(),
                });
                let how = agent()?
                    .add_toxic_timed(&target, &toxic, Duration::from_millis(ms))
                    .await?;
                Ok(match how {
                    ToxicAdded::WithDuration => format!("{note}, toxic {name}"),
                    ToxicAdded::Plain => format!(
                        "{note}, toxic {name} (no duration on this agent: removed by the rollbacks)"
                    ),
                })
            }
        }
    }

    /// Every fault everywhere: the agent's, then each service's. A service
    /// that does not answer at all is noted, not an error: a process that is
    /// down (or being restarted) holds no in-service faults, which live in
    /// its memory.
    pub async fn clear_faults(&self) -> Result<Option<String>, RunError> {
        let mut first_error: Option<RunError> = None;
        if self.lab.endpoints.agent.is_some()
            && let Err(e) = self.lab.agent()?.clear().await
        {
            first_error.get_or_insert(e.into());
        }
        let mut silent = Vec::new();
        for svc in self.lab.services() {
            match svc.clear_faults().await {
                Ok(()) => {}
                Err(e) if e.is_transport() => silent.push(svc.name().to_string()),
                Err(e) => {
                    first_error.get_or_insert(e.into());
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        Ok((!silent.is_empty()).then(|| {
            format!(
                "{} did not answer (down: no in-service faults to clear)",
                silent.join(", ")
            )
        }))
    }
}
