//! The scraper: every interval, reads each target's Prometheus page into the
//! series store, records how the scrape went, and (when an agent is
//! configured) refreshes the list of active faults.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chaoslab_contract::client::{AgentClient, ClientError};
use tokio::time::MissedTickBehavior;

use crate::api::types::Target;
use crate::hub::{FaultSnapshot, Hub, now_ms};
use crate::metrics::exposition::{self, Sample};

/// Scrapes until `shutdown` completes.
pub async fn run_scraper(hub: Arc<Hub>, shutdown: impl Future<Output = ()>) {
    let mut tick = tokio::time::interval(hub.cfg.scrape_interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = scrape_once(&hub) => {}
        }
    }
}

/// One round: every target concurrently, plus the agent's fault list.
pub async fn scrape_once(hub: &Hub) {
    let targets = hub.targets();
    let scrapes = futures::future::join_all(targets.iter().map(|t| scrape_target(hub, t)));
    let (results, faults) = tokio::join!(scrapes, fetch_faults(hub));
    {
        let mut series = hub.series.write().unwrap_or_else(|e| e.into_inner());
        let mut states = hub.targets.write().unwrap_or_else(|e| e.into_inner());
        for (target, (result, t_ms, took)) in targets.iter().zip(results) {
            let Some(state) = states.iter_mut().find(|s| &s.target == target) else {
                continue; // removed while scraping
            };
            let st = &mut state.status;
            st.last_scrape_unix_ms = Some(t_ms);
            st.last_duration_ms = Some(took.as_secs_f64() * 1000.0);
            match result {
                Ok(samples) => {
                    st.up = Some(true);
                    st.samples = samples.len();
                    st.last_error = None;
                    series.record(&target.url, &target.name, t_ms, samples);
                }
                Err(e) => {
                    st.up = Some(false);
                    st.last_error = Some(e);
                }
            }
        }
        hub.record_derived(&mut series, now_ms());
        let oldest = now_ms().saturating_sub(hub.cfg.retention.as_millis() as u64);
        series.prune(oldest);
    }
    if let Some(f) = faults {
        *hub.faults.write().unwrap_or_else(|e| e.into_inner()) = f;
    }
}

async fn scrape_target(hub: &Hub, t: &Target) -> (Result<Vec<Sample>, String>, u64, Duration) {
    let started = Instant::now();
    let result = async {
        let resp = hub
            .http
            .get(&t.url)
            .header("accept", "text/plain;version=0.0.4")
            .send()
            .await
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("answered {}", resp.status()));
        }
        let text = resp
            .text()
            .await
            .map_err(|e| format!("reading the body failed: {}", error_chain(&e)))?;
        exposition::parse(&text).map_err(|e| format!("bad exposition text: {e}"))
    }
    .await;
    (result, now_ms(), started.elapsed())
}

/// Fetches the agent's `GET /chaos/faults` with the contract's client;
/// `None` when no agent is configured. An agent that cannot be reached or
/// answers badly leaves an empty list and a note that says so (the
/// dashboard shows it).
async fn fetch_faults(hub: &Hub) -> Option<FaultSnapshot> {
    let base = hub.cfg.agent_url.as_deref()?;
    let agent = AgentClient::new(base).with_timeout(hub.cfg.scrape_timeout);
    let snapshot = match agent.faults().await {
        Ok(faults) => FaultSnapshot { faults, note: None },
        Err(e) => FaultSnapshot {
            faults: Vec::new(),
            note: Some(fault_note(&e)),
        },
    };
    Some(snapshot)
}

/// Why the fault list is empty, for the dashboard: the call and what went
/// wrong (`agent unreachable: GET http://…/chaos/faults: …`).
fn fault_note(e: &ClientError) -> String {
    match e {
        ClientError::Api { status, .. } => format!("agent answered {status}: {e}"),
        ClientError::Transport { reason, .. } if reason.starts_with("unexpected answer") => {
            format!("agent answered no fault list: {e}")
        }
        _ => format!("agent unreachable: {e}"),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
