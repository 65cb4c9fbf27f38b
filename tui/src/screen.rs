//! The six screens of the dashboard and their names (for tabs, the number
//! keys and `--screen NAME`).

use std::fmt;
use std::str::FromStr;

/// One screen of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Screen {
    /// Service map, RED table, user-facing numbers.
    #[default]
    Overview,
    /// One service: routes, latency, dependencies and their breakers.
    Service,
    /// Trace list, waterfall, span details.
    Traces,
    /// Active faults, the fault picker, resilience policy toggles.
    Chaos,
    /// A running experiment's steps and hypothesis.
    Experiment,
    /// Log records of every sender: filters by service, level and text,
    /// follow mode.
    Logs,
}

impl Screen {
    /// Every screen in tab order.
    pub const ALL: [Screen; 6] = [
        Screen::Overview,
        Screen::Service,
        Screen::Traces,
        Screen::Chaos,
        Screen::Experiment,
        Screen::Logs,
    ];

    /// The lowercase name used by `--screen`.
    pub fn name(self) -> &'static str {
        match self {
            Screen::Overview => "overview",
            Screen::Service => "service",
            Screen::Traces => "traces",
            Screen::Chaos => "chaos",
            Screen::Experiment => "experiment",
            Screen::Logs => "logs",
        }
    }

    /// The title shown on the tab.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Service => "Service",
            Screen::Traces => "Traces",
            Screen::Chaos => "Chaos",
            Screen::Experiment => "Experiment",
            Screen::Logs => "Logs",
        }
    }

    /// Position in tab order, 0-based.
    pub fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The screen a number key (1-6) stands for.
    pub fn from_number(n: u32) -> Option<Screen> {
        Screen::ALL.get((n as usize).checked_sub(1)?).copied()
    }

    /// The next screen in tab order (wrapping).
    pub fn next(self) -> Screen {
        Screen::ALL[(self.index() + 1) % Screen::ALL.len()]
    }

    /// The previous screen in tab order (wrapping).
    pub fn prev(self) -> Screen {
        Screen::ALL[(self.index() + Screen::ALL.len() - 1) % Screen::ALL.len()]
    }
}

impl fmt::Display for Screen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `--screen` named something that is not a screen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown screen {0:?}; expected one of overview, service, traces, chaos, experiment, logs (or 1-6)"
)]
pub struct UnknownScreen(pub String);

impl FromStr for Screen {
    type Err = UnknownScreen;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if let Ok(n) = lower.parse::<u32>() {
            return Screen::from_number(n).ok_or_else(|| UnknownScreen(s.to_string()));
        }
        Screen::ALL
            .iter()
            .find(|screen| {
                screen.name() == lower || screen.name().starts_with(&lower) && lower.len() >= 2
            })
            .copied()
            .ok_or_else(|| UnknownScreen(s.to_string()))
    }
}
