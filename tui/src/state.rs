//! The dashboard's state: what the hub and the agent last said, and where
//! the person is (screen, selections, filter, picker, overlays).
//!
//! Nothing here draws or does I/O: [`crate::update`] changes it, [`crate::ui`]
//! draws it.

use std::time::Instant;

use chaoslab_contract::wire::hub::{
    Heatmap, HubHealth, LoadResponse, LogView, ResilienceEntry, ServiceStats, Topology,
    TraceDetail, TraceSummary,
};

use crate::agent::FaultRow;
use crate::experiment::ExperimentView;
use crate::filter::TraceFilter;
use crate::picker::FaultPicker;
use crate::screen::Screen;
use crate::trace_tree::SpanRow;

/// Whether the hub answers.
#[derive(Debug, Clone, PartialEq)]
pub enum HubStatus {
    /// No answer yet.
    Connecting,
    /// The last poll succeeded.
    Up,
    /// The last poll failed; the poller keeps retrying every second.
    Unreachable {
        /// Why, as the client said it.
        error: String,
        /// Failed polls in a row.
        attempts: u32,
    },
}

/// Everything the hub reported in the last successful poll.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabData {
    pub topology: Option<Topology>,
    /// Sorted by name, with series.
    pub services: Vec<ServiceStats>,
    /// Sorted by (service, dependency).
    pub resilience: Vec<ResilienceEntry>,
    /// `None` when the load generator reports nothing.
    pub load: Option<LoadResponse>,
    pub health: Option<HubHealth>,
    /// The latency heatmap of [`AppState::heatmap_for`].
    pub heatmap: Option<Heatmap>,
}

/// Which pane of the Traces screen has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceFocus {
    #[default]
    List,
    Waterfall,
}

/// The Traces screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TracesState {
    /// The filter applied.
    pub filter: TraceFilter,
    /// The listing, newest first (already narrowed by a trace id prefix).
    pub list: Vec<TraceSummary>,
    /// How many traces matched on the hub before its limit.
    pub matched: usize,
    /// Selected row of the listing.
    pub selected: usize,
    /// The trace opened in the waterfall.
    pub detail: Option<TraceDetail>,
    /// Its rows in waterfall order.
    pub rows: Vec<SpanRow>,
    /// Selected row of the waterfall.
    pub span_selected: usize,
    pub focus: TraceFocus,
    /// Why the last trace fetch failed.
    pub error: Option<String>,
    /// The open trace's log records, oldest first.
    pub logs: Vec<LogView>,
}

/// The Logs screen.
#[derive(Debug, Clone, PartialEq)]
pub struct LogsState {
    /// Newest first, as last fetched.
    pub list: Vec<LogView>,
    /// How many matched on the hub.
    pub matched: usize,
    /// Only this service (`None`: all).
    pub service: Option<String>,
    /// Index into [`LOG_LEVELS`]: the lowest level shown.
    pub level: usize,
    /// Text the bodies must contain.
    pub text: String,
    /// Replace the list with the newest records at every poll.
    pub follow: bool,
    pub selected: usize,
}

impl Default for LogsState {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            matched: 0,
            service: None,
            level: 0,
            text: String::new(),
            follow: true,
            selected: 0,
        }
    }
}

/// The lowest levels the Logs screen can show, in the order `v` cycles.
pub const LOG_LEVELS: [&str; 5] = ["trace", "debug", "info", "warn", "error"];

impl LogsState {
    /// The hub query for the current filters.
    pub fn query(&self) -> chaoslab_contract::client::LogQuery {
        chaoslab_contract::client::LogQuery {
            service: self.service.clone(),
            level: (self.level > 0).then(|| LOG_LEVELS[self.level].to_string()),
            text: (!self.text.is_empty()).then(|| self.text.clone()),
            limit: Some(500),
            ..Default::default()
        }
    }
}

/// Which list of the Chaos screen has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChaosFocus {
    #[default]
    Faults,
    Policies,
}

/// The Chaos screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChaosState {
    /// Active faults as last fetched.
    pub faults: Vec<FaultRow>,
    /// When they were fetched (for the countdown); `None` in fixtures.
    pub fetched_at: Option<Instant>,
    /// Why the list could not be read (no agent, agent down).
    pub note: Option<String>,
    pub selected: usize,
    /// Selected resilience entry (service, dependency).
    pub policy_selected: usize,
    pub focus: ChaosFocus,
    /// The fault picker, while open.
    pub picker: Option<FaultPicker>,
}

/// The text being typed after `/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterInput {
    pub text: String,
    /// Why the last Enter was refused.
    pub error: Option<String>,
}

/// A message on the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// When it was posted (it fades after [`NOTICE_FOR`]); `None` keeps it.
    pub at: Option<Instant>,
}

/// How long a notice stays on the status line.
pub const NOTICE_FOR: std::time::Duration = std::time::Duration::from_secs(6);

/// The whole state of the dashboard.
#[derive(Debug, Clone)]
pub struct AppState {
    pub screen: Screen,
    /// Where the hub is, for messages.
    pub hub_url: String,
    /// Whether an agent is configured.
    pub agent_url: Option<String>,
    /// Services whose admin API is known (name, base URL).
    pub admin_urls: Vec<(String, String)>,
    pub hub: HubStatus,
    pub data: LabData,
    /// Selected service on the Overview and Service screens.
    pub service_selected: usize,
    /// The Service screen's dependency table has the keys (else the list).
    pub dependency_focus: bool,
    /// Selected dependency of the selected service.
    pub dependency_selected: usize,
    pub traces: TracesState,
    /// The service whose heatmap the poller fetches.
    pub heatmap_for: Option<String>,
    pub logs: LogsState,
    pub chaos: ChaosState,
    pub experiment: Option<ExperimentView>,
    /// The help overlay is shown.
    pub help: bool,
    /// The Overview shows the calls table where the services table goes
    /// (for terminals too narrow to show both beside the map).
    pub overview_calls: bool,
    /// The trace filter is being typed.
    pub input: Option<FilterInput>,
    pub notice: Option<Notice>,
    /// The clock of the last tick; with `chaos.fetched_at` it drives countdowns.
    pub now: Option<Instant>,
    /// Set by [`crate::action::Action::Quit`].
    pub should_quit: bool,
}

impl AppState {
    /// An empty state for a hub at `hub_url`.
    pub fn new(hub_url: impl Into<String>) -> AppState {
        AppState {
            screen: Screen::Overview,
            hub_url: hub_url.into(),
            agent_url: None,
            admin_urls: Vec::new(),
            hub: HubStatus::Connecting,
            data: LabData::default(),
            service_selected: 0,
            dependency_focus: false,
            dependency_selected: 0,
            traces: TracesState::default(),
            heatmap_for: None,
            logs: LogsState::default(),
            chaos: ChaosState::default(),
            experiment: None,
            help: false,
            overview_calls: false,
            input: None,
            notice: None,
            now: None,
            should_quit: false,
        }
    }

    /// Service names known: the hub's, else the topology's, else the admin list.
    pub fn service_names(&self) -> Vec<String> {
        if !self.data.services.is_empty() {
            return self.data.services.iter().map(|s| s.name.clone()).collect();
        }
        if let Some(t) = &self.data.topology {
            let mut names: Vec<String> = t.nodes.iter().map(|n| n.name.clone()).collect();
            names.sort();
            return names;
        }
        self.admin_urls.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The service selected on the Service screen.
    pub fn selected_service(&self) -> Option<&ServiceStats> {
        let n = self.data.services.len();
        (n > 0).then(|| &self.data.services[self.service_selected.min(n - 1)])
    }

    /// The resilience entries of the selected service.
    pub fn selected_dependencies(&self) -> Vec<&ResilienceEntry> {
        let Some(svc) = self.selected_service() else {
            return Vec::new();
        };
        self.data
            .resilience
            .iter()
            .filter(|e| e.service == svc.name)
            .collect()
    }

    /// A fault's time left now, ms (counting down between fetches).
    pub fn fault_remaining_ms(&self, fault: &FaultRow) -> Option<u64> {
        let left = fault.remaining_ms?;
        let elapsed = match (self.chaos.fetched_at, self.now) {
            (Some(at), Some(now)) => now.saturating_duration_since(at).as_millis() as u64,
            _ => 0,
        };
        Some(left.saturating_sub(elapsed))
    }

    /// Whether a fault is active on the proxy in front of `service`.
    pub fn fault_on(&self, service: &str) -> bool {
        self.chaos.faults.iter().any(|f| f.target == service)
    }
}
