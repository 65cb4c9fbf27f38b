//! chaoslab-tui: the lab's terminal dashboard (`chaoslab tui`, and the
//! foreground of `chaoslab up`).
//!
//! It polls the hub's query API every second and the chaos agent's fault
//! list, and shows five screens: the service map and RED numbers
//! (Overview), one service's routes and dependencies (Service), traces and
//! their waterfalls (Traces), faults and resilience toggles (Chaos), and a
//! running experiment (Experiment).
//!
//! ```text
//! lib.rs         TuiConfig, run, snapshot, render_to_string
//! app.rs         the event loop (keys, data, tick, signals -> update -> draw)
//! action.rs      Action (what happens), Command (side effects), DataEvent (answers)
//! state.rs       AppState: data from the hub and agent, selections, overlays
//! keys.rs        keys to actions, footer labels
//! update.rs      actions and data events applied to the state
//! fetch.rs       the hub poller and the command runner (background tasks)
//! agent.rs       the agent's /chaos API and the services' admin API, with the contract's clients
//! picker.rs      the fault picker form; picker/kind.rs the kinds it offers
//! filter.rs      the trace filter language
//! trace_tree.rs  spans in waterfall order
//! experiment.rs  ExperimentView, filled by the experiment runner
//! ui.rs, ui/     drawing: frame, one module per screen, the map, the waterfall
//! fixtures.rs    a believable lab state built from hub types (tests, docs, bench)
//! bench.rs       frame render time and idle CPU
//! ```
//!
//! State, update and drawing are apart: keys become [`Action`]s
//! ([`keys::handle_key_event`]), [`update::update`] applies them and returns
//! [`Command`]s for background tasks, and each screen is a module under
//! [`ui`] with a `draw` that only reads the state. Keys and updates are one
//! function each rather than one per screen, because most keys mean the same
//! on every screen; the screen-specific ones are a short match at the end.

pub mod action;
pub mod agent;
pub mod app;
pub mod bench;
pub mod experiment;
pub mod fetch;
pub mod filter;
pub mod fixture_hub;
pub mod fixtures;
pub mod keys;
pub mod picker;
pub mod screen;
pub mod state;
pub mod trace_tree;
pub mod ui;
pub mod update;

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use tokio::sync::mpsc;

pub use action::{Action, Command, DataEvent};
pub use bench::{BenchReport, bench_render};
pub use experiment::{ExperimentPhase, ExperimentView, ProbeView, StepStatus, StepView};
pub use screen::Screen;
pub use state::AppState;

/// Where the dashboard finds the lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuiConfig {
    /// The hub's query API, e.g. `http://127.0.0.1:7070`.
    pub hub_url: String,
    /// The chaos agent's API, e.g. `http://127.0.0.1:8474`; without it
    /// faults are read through the hub and cannot be changed.
    pub agent_url: Option<String>,
    /// (service name, admin base URL) for resilience policy toggles.
    pub services: Vec<(String, String)>,
    /// The load generator's control API, e.g. `http://127.0.0.1:9464`;
    /// `+` and `-` change its rate.
    pub loadgen_url: Option<String>,
}

/// Runs the interactive dashboard until `q`, Ctrl-C, SIGTERM or SIGHUP.
/// The terminal is restored on exit and on panic.
pub async fn run(cfg: TuiConfig) -> anyhow::Result<()> {
    // try_init enters the alternate screen and raw mode and installs a panic
    // hook that restores the terminal before the panic message prints.
    let mut terminal = ratatui::try_init().map_err(|e| {
        // Undo whatever half of the set-up happened (raw mode, alternate screen).
        let _ = ratatui::try_restore();
        anyhow::anyhow!(
            "cannot open the terminal ({e}); the dashboard needs one (try --snapshot for text)"
        )
    })?;
    let input = app::spawn_input_thread();
    let result = app::run_loop(&mut terminal, &cfg, input, app::termination()).await;
    ratatui::try_restore()?;
    result
}

/// How long [`snapshot`] waits for the hub.
pub const SNAPSHOT_DEADLINE: Duration = Duration::from_secs(3);

/// One frame of `screen` as text, after one fetch from the lab (within
/// [`SNAPSHOT_DEADLINE`]; if the hub does not answer, the frame says so).
/// The Service screen shows the service in the worst shape (most errors,
/// then slowest); the Traces screen opens the most telling trace (with a
/// fault, else an error, else the most spans) in the waterfall.
pub async fn snapshot(
    cfg: TuiConfig,
    screen: &str,
    width: u16,
    height: u16,
) -> anyhow::Result<String> {
    let screen: Screen = screen.parse()?;
    if width < 20 || height < 5 {
        anyhow::bail!("snapshot size {width}x{height} is too small (at least 20x5)");
    }
    let (lab, mut state) = app::prepare(&cfg)?;
    state.screen = screen;
    let (tx, mut rx) = mpsc::channel(64);
    let fetch = async {
        fetch::poll_once(&lab, &tx, true).await;
        drop(tx);
        while let Some(ev) = rx.recv().await {
            update::apply(&mut state, ev);
        }
    };
    if tokio::time::timeout(SNAPSHOT_DEADLINE, fetch)
        .await
        .is_err()
    {
        update::apply(
            &mut state,
            DataEvent::HubDown(format!("no answer within {SNAPSHOT_DEADLINE:?}")),
        );
    }
    // Show the service in the worst shape: most errors, then slowest p99.
    if let Some(i) = (0..state.data.services.len()).max_by(|&a, &b| {
        let key = |i: usize| {
            let s = &state.data.services[i].stats;
            (s.error_ratio, s.p99_ms.unwrap_or(0.0))
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(b.cmp(&a))
    }) {
        state.service_selected = i;
    }
    // Open the most telling trace: one with a fault, else an error, else the
    // one with the most spans.
    let telling = state
        .traces
        .list
        .iter()
        .max_by_key(|t| (t.has_fault, t.has_error, t.span_count))
        .map(|t| t.trace_id.clone());
    if let (Screen::Traces, Some(id)) = (screen, telling) {
        state.traces.selected = state
            .traces
            .list
            .iter()
            .position(|t| t.trace_id == id)
            .unwrap_or(0);
        let detail = tokio::time::timeout(SNAPSHOT_DEADLINE, lab.hub.trace(&id)).await;
        if let Ok(Ok(d)) = detail {
            update::apply(&mut state, DataEvent::Trace(Ok(Box::new(d))));
            state.traces.focus = state::TraceFocus::Waterfall;
        }
    }
    Ok(render_to_string(&state, screen, width, height))
}

/// Renders `screen` of `state` on a `width` x `height` test backend.
pub fn render_buffer(state: &AppState, screen: Screen, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|f| ui::draw(f, state, screen))
        .expect("drawing on a test backend");
    terminal.backend().buffer().clone()
}

/// Renders `screen` of `state` as text: one line per row, trailing spaces cut.
pub fn render_to_string(state: &AppState, screen: Screen, width: u16, height: u16) -> String {
    buffer_to_string(&render_buffer(state, screen, width, height))
}

/// A buffer's symbols as lines of text.
pub fn buffer_to_string(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            // Wide characters occupy two cells; the second holds nothing to print.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_cells(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn unicode_cells(s: &str) -> usize {
    use ratatui::text::Span;
    Span::raw(s).width().max(1)
}
