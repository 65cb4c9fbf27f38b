//! What can happen to the dashboard: [`Action`]s come from keys and timers
//! and change the state; [`Command`]s are the side effects an action asks
//! for (calls to the agent, a trace to fetch), run by background tasks;
//! [`DataEvent`]s are what those tasks and the hub poller send back.

use chaoslab_contract::wire::hub::{
    Heatmap, HubHealth, LoadResponse, LogView, LogsResponse, ResilienceResponse, ServicesResponse,
    Topology, TraceDetail, TracesResponse,
};

use crate::agent::{AgentCall, FaultRow};
use crate::experiment::ExperimentView;
use crate::screen::Screen;

/// A change of the dashboard's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Leave the dashboard.
    Quit,
    /// Show or hide the key help.
    ToggleHelp,
    /// Overview: swap the services table for the calls table (`c`).
    ToggleCalls,
    /// Go to a screen.
    Show(Screen),
    /// Next screen (Tab).
    NextScreen,
    /// Previous screen (Shift-Tab).
    PrevScreen,
    /// Move the selection up (-) or down (+) by this many rows.
    Move(i32),
    /// Move focus to the pane on the left (-1) or right (+1).
    Focus(i32),
    /// Open what is selected (Enter).
    Open,
    /// Go back / close (Esc).
    Back,
    /// Start typing a trace filter (`/`).
    StartFilter,
    /// A character typed into the filter.
    FilterChar(char),
    /// Backspace in the filter.
    FilterBackspace,
    /// Apply the filter typed (Enter).
    ApplyFilter,
    /// Open the fault picker (`f`).
    OpenPicker,
    /// Move between the picker's fields.
    PickerField(i32),
    /// Change the picker's current value.
    PickerChange(i32),
    /// Add the fault the picker describes (Enter).
    PickerSubmit,
    /// Clear every active fault (`x`).
    ClearFaults,
    /// Remove the selected fault (`d`, Delete).
    RemoveSelectedFault,
    /// Toggle the selected dependency's breaker (`b`) or retry (`r`) or timeout (`t`).
    TogglePolicy(&'static str),
    /// Logs: the next (+1) or previous service to show (`s`), all first.
    LogsService(i32),
    /// Logs: the next lowest level to show (`v`).
    LogsLevel(i32),
    /// Logs: pause or resume following the newest records (Space).
    ToggleFollow,
    /// Double (`+`) or halve (`-`) the load generator's rate.
    ScaleLoad(f64),
    /// One second passed (countdowns, "updated Ns ago").
    Tick,
    /// The terminal changed size.
    Resize,
}

/// A side effect for a background task.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Fetch one trace for the waterfall.
    FetchTrace(String),
    /// Change the trace listing's query and poll now.
    SetTraceQuery(chaoslab_contract::client::TraceQuery),
    /// Fetch this service's latency heatmap at every poll.
    SetHeatmapService(String),
    /// Change the log listing's query and poll now.
    SetLogQuery(chaoslab_contract::client::LogQuery),
    /// Send a request to the agent (add a fault, a process action).
    Agent(AgentCall),
    /// `DELETE /chaos/faults`.
    ClearFaults,
    /// `DELETE /chaos/faults/{id}`.
    RemoveFault(String),
    /// Flip a policy part of `dependency` on `service` (via its admin URL).
    TogglePolicy {
        service: String,
        dependency: String,
        part: &'static str,
    },
    /// Poll the hub and the agent now instead of at the next second.
    PollNow,
    /// Multiply the load generator's rate by this factor.
    ScaleLoad(f64),
}

/// Everything the hub answered in one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct HubData {
    pub topology: Topology,
    pub services: ServicesResponse,
    pub resilience: Option<ResilienceResponse>,
    pub load: Option<LoadResponse>,
    pub health: Option<HubHealth>,
    pub traces: Option<TracesResponse>,
    pub logs: Option<LogsResponse>,
    pub heatmap: Option<Heatmap>,
}

/// What background tasks send back.
#[derive(Debug, Clone, PartialEq)]
pub enum DataEvent {
    /// A successful poll of the hub.
    Hub(Box<HubData>),
    /// The hub could not be reached (or answered garbage).
    HubDown(String),
    /// The agent's fault list (or why it could not be read).
    Faults(Result<Vec<FaultRow>, String>),
    /// A trace asked for with [`Command::FetchTrace`].
    Trace(Result<Box<TraceDetail>, String>),
    /// The log records of that trace (trace id, records oldest first).
    TraceLogs(String, Vec<LogView>),
    /// The running experiment, if any.
    Experiment(Option<Box<ExperimentView>>),
    /// The outcome of a command, for the status line.
    Notice(Result<String, String>),
}
