//! Applying what the background tasks send back ([`DataEvent`]) to the
//! state: hub polls, the agent's fault list, traces, notices.

use std::time::Instant;

use crate::action::{Command, DataEvent};
use crate::state::{AppState, HubStatus, TraceFocus};
use crate::trace_tree;

use super::notice;

/// The hub's role for a service whose spans show it forwarding calls (the
/// agent's proxies). Its calls are already drawn caller → callee, so the
/// map and the tables leave it out; nothing else is left out by name.
pub const PROXY_ROLE: &str = "proxy";

/// Applies what a background task sent back; may ask to refetch the open
/// trace when more of its spans have arrived.
pub fn apply(state: &mut AppState, event: DataEvent) -> Vec<Command> {
    let mut cmds = Vec::new();
    match event {
        DataEvent::TraceLogs(id, logs) => {
            if state
                .traces
                .detail
                .as_ref()
                .is_none_or(|d| d.summary.trace_id == id)
            {
                state.traces.logs = logs;
            }
        }
        DataEvent::Hub(data) => {
            state.hub = HubStatus::Up;
            let data = *data;
            let mut topology = data.topology;
            let proxies: Vec<String> = topology
                .nodes
                .iter()
                .filter(|n| n.role == PROXY_ROLE)
                .map(|n| n.name.clone())
                .collect();
            let is_proxy = |n: &str| proxies.iter().any(|p| p == n);
            topology.nodes.retain(|n| !is_proxy(&n.name));
            topology
                .edges
                .retain(|e| !is_proxy(&e.from) && !is_proxy(&e.to));
            state.data.topology = Some(topology);
            let mut services = data.services.services;
            services.retain(|s| s.role != PROXY_ROLE && !is_proxy(&s.name));
            services.sort_by(|a, b| a.name.cmp(&b.name));
            // Series come every few polls; keep the last ones in between.
            for s in services.iter_mut().filter(|s| s.series.is_none()) {
                if let Some(old) = state.data.services.iter_mut().find(|o| o.name == s.name) {
                    s.series = old.series.take();
                }
            }
            state.data.services = services;
            state.service_selected = state
                .service_selected
                .min(state.data.services.len().saturating_sub(1));
            if let Some(r) = data.resilience {
                state.data.resilience = r.entries;
            }
            state.data.load = data
                .load
                .filter(|l| !l.journeys.is_empty() || l.total.rate > 0.0);
            if data.health.is_some() {
                state.data.health = data.health;
            }
            if data.heatmap.is_some() {
                state.data.heatmap = data.heatmap;
            }
            let selected = state.selected_service().map(|s| s.name.clone());
            if selected.is_some() && selected != state.heatmap_for {
                state.heatmap_for = selected.clone();
                cmds.extend(selected.map(Command::SetHeatmapService));
            }
            if let Some(l) = data.logs {
                // Paused (not following), the list stays as the person left it.
                if state.logs.follow || state.logs.list.is_empty() {
                    state.logs.matched = l.matched;
                    state.logs.list = l.logs;
                    state.logs.selected = state
                        .logs
                        .selected
                        .min(state.logs.list.len().saturating_sub(1));
                }
            }
            if let Some(t) = data.traces {
                set_traces(state, t);
                if let Some(d) = &state.traces.detail {
                    let grown =
                        state.traces.list.iter().any(|t| {
                            t.trace_id == d.summary.trace_id && t.span_count != d.spans.len()
                        });
                    if grown {
                        cmds.push(Command::FetchTrace(d.summary.trace_id.clone()));
                    }
                }
            }
        }
        DataEvent::HubDown(error) => {
            let attempts = match &state.hub {
                HubStatus::Unreachable { attempts, .. } => attempts + 1,
                _ => 1,
            };
            state.hub = HubStatus::Unreachable { error, attempts };
        }
        DataEvent::Faults(Ok(faults)) => {
            state.chaos.faults = faults;
            state.chaos.note = None;
            state.chaos.fetched_at = Some(Instant::now());
            state.now = state.chaos.fetched_at;
            state.chaos.selected = state
                .chaos
                .selected
                .min(state.chaos.faults.len().saturating_sub(1));
        }
        DataEvent::Faults(Err(e)) => state.chaos.note = Some(e),
        DataEvent::Trace(Ok(detail)) => {
            state.traces.rows = trace_tree::rows(&detail);
            state.traces.span_selected = state
                .traces
                .span_selected
                .min(state.traces.rows.len().saturating_sub(1));
            state.traces.detail = Some(*detail);
            state.traces.error = None;
        }
        DataEvent::Trace(Err(e)) => {
            notice(state, e.clone(), true);
            state.traces.error = Some(e);
            if state.traces.detail.is_none() {
                state.traces.focus = TraceFocus::List;
            }
        }
        DataEvent::Experiment(e) => state.experiment = e.map(|b| *b),
        DataEvent::Notice(Ok(text)) => notice(state, text, false),
        DataEvent::Notice(Err(text)) => notice(state, text, true),
    }
    cmds
}

fn set_traces(state: &mut AppState, resp: chaoslab_contract::wire::hub::TracesResponse) {
    let selected_id = state
        .traces
        .list
        .get(state.traces.selected)
        .map(|t| t.trace_id.clone());
    let mut list = resp.traces;
    list.retain(|t| state.traces.filter.keeps(t));
    state.traces.matched = resp.matched;
    // Keep the selection on the same trace while new ones arrive on top.
    state.traces.selected = selected_id
        .and_then(|id| list.iter().position(|t| t.trace_id == id))
        .unwrap_or(state.traces.selected)
        .min(list.len().saturating_sub(1));
    state.traces.list = list;
}
