//! How the agent acts on the lab's processes and services without knowing
//! about them: the process that supervises the lab implements [`LabControl`].
//!
//! A timed outage (`stop`) goes through [`LabControl::stop_for`], which carries
//! the duration, so the supervisor keeps the service down and brings it back
//! by itself even if the agent dies meanwhile; the agent also calls
//! `process(service, Start)` when the fault ends or is removed (so `Start`
//! must be a no-op success on a service that is already up).

use std::time::Duration;

pub use chaoslab_contract::ProcessAction;

/// The lab's supervisor, as the agent sees it.
pub trait LabControl: Send + Sync + 'static {
    /// Names of the lab's services (targets for process and in-service faults).
    fn services(&self) -> Vec<String>;
    /// kill (SIGKILL), terminate (SIGTERM), pause (SIGSTOP), resume (SIGCONT),
    /// restart, start (end an outage begun by [`LabControl::stop_for`]; a
    /// no-op success when the service is up). The agent never passes `Stop`
    /// here (it calls `stop_for`); answer it with an error.
    fn process(&self, service: &str, action: ProcessAction) -> Result<(), String>;
    /// Kill the service's process and keep it down for `duration` (no restart
    /// on crash meanwhile), then start it again, without waiting for the
    /// agent. Returns once the process is down. The default refuses.
    fn stop_for(&self, service: &str, duration: Duration) -> Result<(), String> {
        let _ = (service, duration);
        Err("not supported".to_string())
    }
    /// Pause (SIGSTOP) the service's process for `duration`, resumed on a
    /// clock that does not depend on the agent or the supervisor staying
    /// alive. The default pauses and leaves the resume to the agent.
    fn pause_for(&self, service: &str, duration: Duration) -> Result<(), String> {
        let _ = duration;
        self.process(service, ProcessAction::Pause)
    }
    /// Base URL of the service's admin API, e.g. `http://127.0.0.1:8084`
    /// (the agent POSTs to `{url}/admin/faults`).
    fn admin_url(&self, service: &str) -> Option<String>;
    /// The bearer token the services' admin APIs want from a caller beyond
    /// loopback (`CHAOSLAB_ADMIN_TOKEN`); the agent sends it with every
    /// admin call. The default: none (the services are on loopback).
    fn admin_token(&self) -> Option<String> {
        None
    }
}
