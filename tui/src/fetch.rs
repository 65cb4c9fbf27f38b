//! Background tasks: the poller that asks the hub (and the agent) every
//! second, and the runner of [`Command`]s. Both send [`DataEvent`]s to the
//! update loop; neither touches the state.
//!
//! ```text
//!  poller ──(1 s, or now)──> hub /api/* , agent /chaos/faults ──DataEvent──┐
//!  commands ──> agent, admin APIs, load generator, hub /api/traces/{id} ─────┤
//!                                                                        update loop
//! ```

use std::sync::Arc;
use std::time::Duration;

use chaoslab_contract::client::{ClientError, HubClient, LoadClient, LogQuery, TraceQuery};
use tokio::sync::{Notify, mpsc, watch};

use crate::action::{Command, DataEvent, HubData};
use crate::agent::{Agent, AgentError};
use crate::experiment::ExperimentView;

/// Everything a background task needs to talk to the lab.
#[derive(Debug, Clone)]
pub struct Lab {
    pub hub: HubClient,
    pub agent: Agent,
    /// Whether an agent is configured (else faults come from the hub).
    pub has_agent: bool,
    /// (service, admin base URL).
    pub admin_urls: Vec<(String, String)>,
    /// The load generator's control API.
    pub loadgen: Option<LoadClient>,
    /// The trace listing's current query.
    pub trace_query: watch::Sender<TraceQuery>,
    /// The service whose heatmap each poll fetches.
    pub heatmap_service: watch::Sender<Option<String>>,
    /// The log listing's current query.
    pub log_query: watch::Sender<LogQuery>,
    /// Wakes the poller early.
    pub poll_now: Arc<Notify>,
}

/// Every how many polls the services' time series are fetched again (they
/// move in 5 s steps; the "now" numbers come every poll).
pub const SERIES_EVERY: u64 = 5;

/// Polls once: the hub's numbers and traces, the fault list and the
/// experiment. Sends what it got; a failed topology call means "hub down".
/// `with_series` also fetches the services' time series.
pub async fn poll_once(lab: &Lab, tx: &mpsc::Sender<DataEvent>, with_series: bool) -> bool {
    let query = lab.trace_query.borrow().clone();
    let log_query = lab.log_query.borrow().clone();
    let heatmap_service = lab.heatmap_service.borrow().clone();
    let hub = &lab.hub;
    let (topology, services, resilience, load, health, traces, logs) = tokio::join!(
        hub.topology(),
        hub.services(with_series),
        hub.resilience(),
        hub.load(),
        hub.health(),
        hub.traces(&query),
        hub.logs(&log_query),
    );
    let heatmap = match &heatmap_service {
        Some(name) => hub.heatmap(name).await.ok(),
        None => None,
    };
    let event = match (topology, services) {
        (Ok(topology), Ok(services)) => DataEvent::Hub(Box::new(HubData {
            topology,
            services,
            resilience: resilience.ok(),
            load: load.ok(),
            health: health.ok(),
            traces: traces.ok(),
            logs: logs.ok(),
            heatmap,
        })),
        (Err(e), _) | (_, Err(e)) => DataEvent::HubDown(short_error(&e)),
    };
    let hub_up = matches!(event, DataEvent::Hub(_));
    let _ = tx.send(event).await;
    poll_agent(lab, tx, hub_up).await;
    hub_up
}

async fn poll_agent(lab: &Lab, tx: &mpsc::Sender<DataEvent>, hub_up: bool) {
    let hub = &lab.hub;
    let faults = if lab.has_agent {
        lab.agent.faults().await.map_err(|e| e.to_string())
    } else if hub_up {
        match hub.faults().await {
            Ok(f) => match f.note {
                Some(note) if f.faults.is_empty() => Err(note),
                _ => Ok(f.faults.iter().map(crate::agent::FaultRow::from).collect()),
            },
            Err(e) => Err(short_error(&e)),
        }
    } else {
        return;
    };
    let _ = tx.send(DataEvent::Faults(faults)).await;
    if hub_up {
        let _ = tx.send(DataEvent::Experiment(experiment(lab).await)).await;
    }
}

async fn experiment(lab: &Lab) -> Option<Box<ExperimentView>> {
    lab.hub.experiment().await.ok().flatten().map(Box::new)
}

/// The client's error without the URL noise, for the banner.
pub fn short_error(e: &chaoslab_contract::client::ClientError) -> String {
    use chaoslab_contract::client::ClientError;
    match e {
        // An answer of the wrong shape: what it lacks.
        ClientError::Transport { reason, .. } if reason.starts_with("unexpected answer") => {
            reason.clone()
        }
        // The last cause: `Connection refused (os error 111)`.
        ClientError::Transport { reason, .. } => {
            reason.rsplit(": ").next().unwrap_or(reason).to_string()
        }
        other => other.message().to_string(),
    }
}

/// Why an agent call failed, for the status line: the server's own words
/// and status when it answered (a refused fault says why), without the
/// URL that would push them off the line.
fn agent_error(e: &AgentError) -> String {
    match e {
        AgentError::Client(c @ ClientError::Api { status, .. }) => {
            format!("{} (HTTP {status})", c.message())
        }
        AgentError::Client(c) => short_error(c),
        other => other.to_string(),
    }
}

/// Polls every second (or when woken) until the receiver is gone.
pub async fn poller(lab: Lab, tx: mpsc::Sender<DataEvent>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut polls = 0u64;
    let mut hub_was_up = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = lab.poll_now.notified() => {}
        }
        if tx.is_closed() {
            return;
        }
        // Series on the first poll, every few polls, and when the hub comes back.
        let with_series = polls.is_multiple_of(SERIES_EVERY) || !hub_was_up;
        hub_was_up = poll_once(&lab, &tx, with_series).await;
        polls += 1;
    }
}

/// Runs one command in the background; its outcome comes back as an event.
pub fn spawn_command(lab: &Lab, cmd: Command, tx: mpsc::Sender<DataEvent>) {
    let lab = lab.clone();
    tokio::spawn(async move {
        let event = match cmd {
            Command::FetchTrace(id) => {
                let q = LogQuery {
                    trace_id: Some(id.clone()),
                    limit: Some(1000),
                    ..Default::default()
                };
                let (trace, logs) = tokio::join!(lab.hub.trace(&id), lab.hub.logs(&q));
                if let Ok(mut l) = logs {
                    l.logs.reverse();
                    let _ = tx.send(DataEvent::TraceLogs(id.clone(), l.logs)).await;
                }
                DataEvent::Trace(
                    trace
                        .map(Box::new)
                        .map_err(|e| format!("trace {id}: {}", short_error(&e))),
                )
            }
            Command::SetHeatmapService(name) => {
                lab.heatmap_service.send_replace(Some(name));
                lab.poll_now.notify_one();
                return;
            }
            Command::SetLogQuery(q) => {
                lab.log_query.send_replace(q);
                lab.poll_now.notify_one();
                return;
            }
            Command::SetTraceQuery(q) => {
                lab.trace_query.send_replace(q);
                lab.poll_now.notify_one();
                return;
            }
            Command::PollNow => {
                lab.poll_now.notify_one();
                return;
            }
            Command::ScaleLoad(factor) => DataEvent::Notice(scale_load(&lab, factor).await),
            Command::Agent(req) => {
                let r = lab.agent.send(&req).await;
                lab.poll_now.notify_one();
                DataEvent::Notice(
                    r.map(|_| format!("done: {}", req.describe()))
                        .map_err(|e| format!("{} failed: {}", req.describe(), agent_error(&e))),
                )
            }
            Command::ClearFaults => {
                let r = lab.agent.clear_all().await;
                lab.poll_now.notify_one();
                DataEvent::Notice(
                    r.map(|_| "every fault cleared".to_string())
                        .map_err(|e| format!("clear failed: {e}")),
                )
            }
            Command::RemoveFault(id) => {
                let r = lab.agent.remove(&id).await;
                lab.poll_now.notify_one();
                DataEvent::Notice(
                    r.map(|_| format!("removed {id}"))
                        .map_err(|e| format!("remove {id} failed: {e}")),
                )
            }
            Command::TogglePolicy {
                service,
                dependency,
                part,
            } => match lab.admin_urls.iter().find(|(n, _)| *n == service) {
                None => DataEvent::Notice(Err(format!("no admin URL known for {service}"))),
                Some((_, admin)) => {
                    let r = crate::agent::toggle_policy(&service, admin, &dependency, part).await;
                    DataEvent::Notice(
                        r.map(|on| {
                            format!(
                                "{service} → {dependency}: {part} {}",
                                if on { "enabled" } else { "disabled" }
                            )
                        })
                        .map_err(|e| format!("toggle {part} failed: {e}")),
                    )
                }
            },
        };
        let _ = tx.send(event).await;
    });
}

/// Reads the load generator's rate and sets it to `factor` times that
/// (from 0, a doubling starts at 5/s). The answer is for the status line.
async fn scale_load(lab: &Lab, factor: f64) -> Result<String, String> {
    let load = lab
        .loadgen
        .as_ref()
        .ok_or("no load generator in this lab")?;
    let failed =
        |e: chaoslab_contract::client::ClientError| format!("load generator: {}", short_error(&e));
    let rate = load.report().await.map_err(failed)?.rate;
    let next = if rate <= 0.0 && factor > 1.0 {
        5.0
    } else {
        (rate * factor)
            .round()
            .max(if factor > 1.0 { 1.0 } else { 0.0 })
    };
    load.set_rate(next).await.map_err(failed)?;
    Ok(format!("load rate {rate}/s → {next}/s"))
}
