//! The update step: an [`Action`] or a [`DataEvent`] changes the
//! [`AppState`] and may ask for [`Command`]s. No I/O happens here, so every
//! key path can be tested on a plain state. Data events: [`data`].

mod data;

pub use data::{PROXY_ROLE, apply};

use std::time::Instant;

use crate::action::{Action, Command};
use crate::filter::TraceFilter;
use crate::picker::FaultPicker;
use crate::screen::Screen;
use crate::state::{AppState, ChaosFocus, FilterInput, NOTICE_FOR, Notice, TraceFocus};

/// How many traces the listing asks the hub for.
pub const TRACE_LIMIT: usize = 200;

/// Applies a user or timer action.
pub fn update(state: &mut AppState, action: Action) -> Vec<Command> {
    let mut cmds = Vec::new();
    match action {
        Action::Quit => state.should_quit = true,
        Action::ToggleHelp => state.help = !state.help,
        Action::ToggleCalls => state.overview_calls = !state.overview_calls,
        Action::Show(s) => state.screen = s,
        Action::NextScreen => state.screen = state.screen.next(),
        Action::PrevScreen => state.screen = state.screen.prev(),
        Action::Move(d) => move_selection(state, d, &mut cmds),
        Action::Focus(d) => match state.screen {
            Screen::Traces if state.traces.detail.is_some() => {
                state.traces.focus = if d > 0 {
                    TraceFocus::Waterfall
                } else {
                    TraceFocus::List
                }
            }
            Screen::Chaos => {
                state.chaos.focus = if d > 0 {
                    ChaosFocus::Policies
                } else {
                    ChaosFocus::Faults
                }
            }
            Screen::Service => {
                state.dependency_focus = d > 0 && !state.selected_dependencies().is_empty()
            }
            Screen::Overview => move_selection(state, d, &mut cmds),
            _ => {}
        },
        Action::Open => open(state, &mut cmds),
        Action::Back => back(state),
        Action::StartFilter => {
            if state.screen != Screen::Logs {
                state.screen = Screen::Traces;
            }
            state.input = Some(FilterInput {
                text: if state.screen == Screen::Logs {
                    state.logs.text.clone()
                } else {
                    String::new()
                },
                error: None,
            });
        }
        Action::FilterChar(c) => {
            if let Some(i) = &mut state.input {
                i.text.push(c);
                i.error = None;
            }
        }
        Action::FilterBackspace => {
            if let Some(i) = &mut state.input {
                i.text.pop();
            }
        }
        Action::ApplyFilter => apply_filter(state, &mut cmds),
        Action::OpenPicker => {
            state.screen = Screen::Chaos;
            state.chaos.picker = Some(new_picker(state));
        }
        Action::PickerField(d) => {
            if let Some(p) = &mut state.chaos.picker {
                p.move_field(d)
            }
        }
        Action::PickerChange(d) => {
            if let Some(p) = &mut state.chaos.picker {
                p.change(d)
            }
        }
        Action::PickerSubmit => {
            if let Some(p) = state.chaos.picker.take() {
                match p.request() {
                    Some(req) => {
                        notice(state, format!("adding {}", p.summary()), false);
                        cmds.push(Command::Agent(req));
                    }
                    None => notice(state, "no target to put a fault on".into(), true),
                }
            }
        }
        Action::ScaleLoad(factor) => {
            let word = if factor > 1.0 { "raising" } else { "lowering" };
            notice(state, format!("{word} the load"), false);
            cmds.push(Command::ScaleLoad(factor));
        }
        Action::ClearFaults => {
            notice(state, "clearing every fault".into(), false);
            cmds.push(Command::ClearFaults);
        }
        Action::RemoveSelectedFault => {
            let sel = state.chaos.selected;
            if let Some(id) = state.chaos.faults.get(sel).map(|f| f.id.clone()) {
                notice(state, format!("removing {id}"), false);
                cmds.push(Command::RemoveFault(id));
            }
        }
        Action::TogglePolicy(part) => toggle_policy(state, part, &mut cmds),
        Action::Tick => {
            let now = Instant::now();
            state.now = Some(now);
            if state
                .notice
                .as_ref()
                .and_then(|n| n.at)
                .is_some_and(|at| now.saturating_duration_since(at) >= NOTICE_FOR)
            {
                state.notice = None;
            }
        }
        Action::LogsService(d) => {
            let mut names: Vec<Option<String>> = vec![None];
            names.extend(state.service_names().into_iter().map(Some));
            let i = names
                .iter()
                .position(|n| *n == state.logs.service)
                .unwrap_or(0);
            let n = names.len() as i32;
            state.logs.service = names[((i as i32 + d).rem_euclid(n)) as usize].clone();
            state.logs.selected = 0;
            cmds.push(Command::SetLogQuery(state.logs.query()));
        }
        Action::LogsLevel(d) => {
            let n = crate::state::LOG_LEVELS.len() as i32;
            state.logs.level = ((state.logs.level as i32 + d).rem_euclid(n)) as usize;
            state.logs.selected = 0;
            cmds.push(Command::SetLogQuery(state.logs.query()));
        }
        Action::ToggleFollow => {
            state.logs.follow = !state.logs.follow;
            if state.logs.follow {
                state.logs.selected = 0;
                cmds.push(Command::PollNow);
            }
        }
        Action::Resize => {}
    }
    cmds
}

fn notice(state: &mut AppState, text: String, error: bool) {
    state.notice = Some(Notice {
        text,
        error,
        at: Some(Instant::now()),
    });
}

fn step(cur: usize, delta: i32, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as i64 + delta as i64).clamp(0, len as i64 - 1) as usize
}

fn move_selection(state: &mut AppState, d: i32, cmds: &mut Vec<Command>) {
    match state.screen {
        Screen::Service if state.dependency_focus => {
            let n = state.selected_dependencies().len();
            state.dependency_selected = step(state.dependency_selected, d, n)
        }
        Screen::Overview | Screen::Service => {
            let before = state.service_selected;
            state.service_selected = step(state.service_selected, d, state.data.services.len());
            if before != state.service_selected {
                state.dependency_selected = 0;
                if let Some(name) = state.selected_service().map(|s| s.name.clone()) {
                    state.heatmap_for = Some(name.clone());
                    state.data.heatmap = None;
                    cmds.push(Command::SetHeatmapService(name));
                }
            }
        }
        Screen::Traces => match state.traces.focus {
            TraceFocus::List => {
                state.traces.selected = step(state.traces.selected, d, state.traces.list.len())
            }
            TraceFocus::Waterfall => {
                state.traces.span_selected =
                    step(state.traces.span_selected, d, state.traces.rows.len())
            }
        },
        Screen::Logs => {
            state.logs.selected = step(state.logs.selected, d, state.logs.list.len());
            // Moving off the newest record pauses following, as `less +F` does.
            if d != 0 && state.logs.selected > 0 {
                state.logs.follow = false;
            }
        }
        Screen::Chaos => match state.chaos.focus {
            ChaosFocus::Faults => {
                state.chaos.selected = step(state.chaos.selected, d, state.chaos.faults.len())
            }
            ChaosFocus::Policies => {
                state.chaos.policy_selected =
                    step(state.chaos.policy_selected, d, state.data.resilience.len())
            }
        },
        Screen::Experiment => {}
    }
}

fn open(state: &mut AppState, cmds: &mut Vec<Command>) {
    match state.screen {
        Screen::Overview => state.screen = Screen::Service,
        Screen::Logs => {
            let trace = state
                .logs
                .list
                .get(state.logs.selected)
                .and_then(|r| r.trace_id.clone());
            if let Some(id) = trace {
                state.screen = Screen::Traces;
                state.traces.focus = TraceFocus::Waterfall;
                cmds.push(Command::FetchTrace(id));
            }
        }
        Screen::Service => {
            if let Some(name) = state.selected_service().map(|s| s.name.clone()) {
                state.screen = Screen::Traces;
                state.traces.filter = TraceFilter {
                    service: Some(name),
                    ..TraceFilter::default()
                };
                state.traces.selected = 0;
                cmds.push(Command::SetTraceQuery(
                    state.traces.filter.query(TRACE_LIMIT),
                ));
            }
        }
        Screen::Traces => match state.traces.focus {
            TraceFocus::List => {
                if let Some(t) = state.traces.list.get(state.traces.selected) {
                    let id = t.trace_id.clone();
                    state.traces.focus = TraceFocus::Waterfall;
                    if state.traces.detail.as_ref().map(|d| &d.summary.trace_id) != Some(&id) {
                        cmds.push(Command::FetchTrace(id));
                    }
                }
            }
            TraceFocus::Waterfall => {}
        },
        Screen::Chaos => {
            if state.chaos.focus == ChaosFocus::Policies {
                toggle_policy(state, "breaker", cmds)
            }
        }
        Screen::Experiment => {}
    }
}

fn back(state: &mut AppState) {
    if state.input.take().is_some() || state.chaos.picker.take().is_some() {
        return;
    }
    if state.help {
        state.help = false;
        return;
    }
    match state.screen {
        Screen::Traces if state.traces.focus == TraceFocus::Waterfall => {
            state.traces.focus = TraceFocus::List
        }
        Screen::Service => state.screen = Screen::Overview,
        Screen::Traces if !state.traces.filter.is_empty() => {
            state.traces.filter = TraceFilter::default();
        }
        _ => {}
    }
}

fn apply_filter(state: &mut AppState, cmds: &mut Vec<Command>) {
    if state.screen == Screen::Logs {
        if let Some(input) = state.input.take() {
            state.logs.text = input.text.trim().to_string();
            state.logs.selected = 0;
            cmds.push(Command::SetLogQuery(state.logs.query()));
        }
        return;
    }
    let known = state.service_names();
    let Some(input) = &mut state.input else {
        return;
    };
    match TraceFilter::parse_with(&input.text, (!known.is_empty()).then_some(&known[..])) {
        Ok(filter) => {
            state.input = None;
            state.traces.selected = 0;
            state.traces.focus = TraceFocus::List;
            if let Some(id) = filter.trace_id.as_ref().filter(|id| id.len() == 32) {
                cmds.push(Command::FetchTrace(id.clone()));
                state.traces.focus = TraceFocus::Waterfall;
            }
            cmds.push(Command::SetTraceQuery(filter.query(TRACE_LIMIT)));
            state.traces.list.retain(|t| filter.keeps(t));
            state.traces.filter = filter;
        }
        Err(e) => input.error = Some(e.to_string()),
    }
}

fn new_picker(state: &AppState) -> FaultPicker {
    let mut proxies: Vec<String> = state
        .data
        .topology
        .as_ref()
        .map(|t| {
            let mut v: Vec<String> = t.edges.iter().map(|e| e.to.clone()).collect();
            v.sort();
            v.dedup();
            v
        })
        .unwrap_or_default();
    let services = state.service_names();
    if proxies.is_empty() {
        // No call seen yet: every service the hub knows may have a proxy.
        proxies = services.clone();
    }
    // The callees of messaging edges consume messages.
    let consumers: Vec<String> = state
        .data
        .topology
        .iter()
        .flat_map(|t| &t.edges)
        .filter(|e| e.messaging.is_some())
        .map(|e| e.to.clone())
        .collect();
    let mut p = FaultPicker::new(proxies, services).with_consumers(consumers);
    if let Some(i) = state
        .selected_service()
        .and_then(|sel| p.proxies.iter().position(|x| *x == sel.name))
    {
        p.target = i;
    }
    p
}

fn toggle_policy(state: &mut AppState, part: &'static str, cmds: &mut Vec<Command>) {
    let entry = match state.screen {
        Screen::Service => {
            let deps = state.selected_dependencies();
            deps.get(state.dependency_selected.min(deps.len().saturating_sub(1)))
                .copied()
        }
        _ => state.data.resilience.get(state.chaos.policy_selected),
    };
    match entry {
        Some(e) => {
            let (service, dependency) = (e.service.clone(), e.dependency.clone());
            notice(
                state,
                format!("toggling {part} of {service} -> {dependency}"),
                false,
            );
            cmds.push(Command::TogglePolicy {
                service,
                dependency,
                part,
            });
        }
        None => notice(state, "no dependency selected".into(), true),
    }
}
