//! What can be done to a supervised process, as the agent's API, the
//! experiment files, the supervisor and the dashboard name it.

use serde::{Deserialize, Serialize};

/// What to do to a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessAction {
    /// SIGKILL (the supervisor restarts it).
    Kill,
    /// SIGTERM.
    Terminate,
    /// SIGSTOP.
    Pause,
    /// SIGCONT.
    Resume,
    /// Stop and start again.
    Restart,
    /// A timed outage: kill the process and keep it down (no restart) until
    /// the outage ends. Always carries a duration.
    Stop,
    /// End an outage now: start the process again (no-op when it is up).
    Start,
}

impl ProcessAction {
    /// Every action, in the order the docs list them.
    pub const ALL: [ProcessAction; 7] = [
        ProcessAction::Kill,
        ProcessAction::Terminate,
        ProcessAction::Pause,
        ProcessAction::Resume,
        ProcessAction::Restart,
        ProcessAction::Stop,
        ProcessAction::Start,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessAction::Kill => "kill",
            ProcessAction::Terminate => "terminate",
            ProcessAction::Pause => "pause",
            ProcessAction::Resume => "resume",
            ProcessAction::Restart => "restart",
            ProcessAction::Stop => "stop",
            ProcessAction::Start => "start",
        }
    }

    /// Whether the action must carry a duration, so that it always ends
    /// (a pause always resumes, a stopped process always comes back).
    pub fn needs_duration(self) -> bool {
        matches!(self, ProcessAction::Pause | ProcessAction::Stop)
    }
}

impl std::fmt::Display for ProcessAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
