//! The event loop: keys, data events, a one-second tick and signals in;
//! update the state, draw when something changed.
//!
//! ```text
//!  input thread (crossterm) ─Event─┐
//!  poller / commands ───DataEvent──┼─> update(state) ─> draw (only when dirty)
//!  1 s tick, SIGTERM/SIGHUP ───────┘         └─> Command ─> spawn_command
//! ```
//!
//! The loop is generic over the ratatui backend, so the same loop runs on a
//! real terminal and, for the idle-CPU bench, on a `TestBackend`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chaoslab_contract::client::{HubClient, LoadClient};
use crossterm::event::Event;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::{Notify, mpsc, watch};

use crate::TuiConfig;
use crate::action::{Action, DataEvent};
use crate::agent::Agent;
use crate::fetch::{self, Lab};
use crate::state::AppState;
use crate::update::{self, TRACE_LIMIT};
use crate::{keys, ui};

/// Builds the lab handles and the initial state for a config.
pub fn prepare(cfg: &TuiConfig) -> anyhow::Result<(Lab, AppState)> {
    let hub = HubClient::new(&cfg.hub_url)?;
    let mut state = AppState::new(cfg.hub_url.clone());
    state.agent_url = cfg.agent_url.clone();
    state.admin_urls = cfg.services.clone();
    let (trace_query, _) = watch::channel(state.traces.filter.query(TRACE_LIMIT));
    let (log_query, _) = watch::channel(state.logs.query());
    let (heatmap_service, _) = watch::channel(None);
    let lab = Lab {
        hub,
        agent: Agent::new(cfg.agent_url.as_deref()),
        has_agent: cfg.agent_url.is_some(),
        admin_urls: cfg.services.clone(),
        loadgen: cfg
            .loadgen_url
            .as_deref()
            .map(|u| LoadClient::new(u).with_timeout(Duration::from_secs(2))),
        trace_query,
        log_query,
        heatmap_service,
        poll_now: Arc::new(Notify::new()),
    };
    Ok((lab, state))
}

/// Runs the dashboard on `terminal` until `q`, Ctrl-C, or `shutdown`.
pub async fn run_loop<B>(
    terminal: &mut Terminal<B>,
    cfg: &TuiConfig,
    mut input: mpsc::Receiver<Event>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let (lab, mut state) = prepare(cfg)?;
    let (tx, mut rx) = mpsc::channel::<DataEvent>(64);
    let poller = tokio::spawn(fetch::poller(lab.clone(), tx.clone()));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut dirty = true;
    let mut input_open = true;
    let result = loop {
        if dirty {
            if let Err(e) = terminal.draw(|f| ui::draw(f, &state, state.screen)) {
                break Err(e.into());
            }
            dirty = false;
        }
        let cmds = tokio::select! {
            ev = input.recv(), if input_open => match ev {
                Some(Event::Key(key)) => match keys::handle_key_event(&state, key) {
                    Some(action) => { dirty = true; update::update(&mut state, action) }
                    None => Vec::new(),
                },
                Some(Event::Resize(..)) => { dirty = true; let _ = terminal.autoresize(); Vec::new() }
                Some(_) => Vec::new(),
                None => { input_open = false; Vec::new() }
            },
            Some(ev) = rx.recv() => { dirty = true; update::apply(&mut state, ev) }
            _ = tick.tick() => {
                // Only countdowns and fading notices change by themselves.
                let had_notice = state.notice.is_some();
                let cmds = update::update(&mut state, Action::Tick);
                dirty |= !state.chaos.faults.is_empty() || had_notice != state.notice.is_some();
                cmds
            }
            _ = &mut shutdown => break Ok(()),
        };
        for cmd in cmds {
            fetch::spawn_command(&lab, cmd, tx.clone());
        }
        if state.should_quit {
            break Ok(());
        }
    };
    poller.abort();
    result
}

/// Reads terminal events on a thread (crossterm's reader blocks) until the
/// receiver is dropped.
pub fn spawn_input_thread() -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::Builder::new()
        .name("chaoslab-tui-input".into())
        .spawn(move || {
            loop {
                if tx.is_closed() {
                    return;
                }
                match crossterm::event::poll(Duration::from_millis(250)) {
                    Ok(true) => match crossterm::event::read() {
                        Ok(ev) => {
                            if tx.blocking_send(ev).is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    },
                    Ok(false) => {}
                    Err(_) => return,
                }
            }
        })
        .ok();
    rx
}

/// Resolves on SIGTERM, SIGHUP or SIGINT (Ctrl-C outside raw mode).
pub async fn termination() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    let wait = |s: &mut Option<tokio::signal::unix::Signal>| {
        let s = s.take();
        async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
    };
    tokio::select! {
        _ = wait(&mut term) => {}
        _ = wait(&mut hup) => {}
        _ = wait(&mut int) => {}
    }
}
