//! How the agent acts on the lab's processes and services without knowing
//! about them: the process that supervises the lab implements [`LabControl`].

use serde::{Deserialize, Serialize};

/// What to do to a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessAction {
    /// SIGKILL.
    Kill,
    /// SIGTERM.
    Terminate,
    /// SIGSTOP.
    Pause,
    /// SIGCONT.
    Resume,
    /// Stop and start again.
    Restart,
}

impl ProcessAction {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessAction::Kill => "kill",
            ProcessAction::Terminate => "terminate",
            ProcessAction::Pause => "pause",
            ProcessAction::Resume => "resume",
            ProcessAction::Restart => "restart",
        }
    }
}

/// The lab's supervisor, as the agent sees it.
pub trait LabControl: Send + Sync + 'static {
    /// Names of the lab's services (targets for process and in-service faults).
    fn services(&self) -> Vec<String>;
    /// kill (SIGKILL), terminate (SIGTERM), pause (SIGSTOP), resume (SIGCONT), restart.
    fn process(&self, service: &str, action: ProcessAction) -> Result<(), String>;
    /// Base URL of the service's admin API, e.g. `http://127.0.0.1:8084`
    /// (the agent POSTs to `{url}/admin/faults`).
    fn admin_url(&self, service: &str) -> Option<String>;
}
