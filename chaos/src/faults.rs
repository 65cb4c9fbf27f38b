//! Faults beyond Toxiproxy's toxics, each with an id and an optional duration:
//! HTTP faults on http-mode proxies ([`http`]), and process faults carried out
//! through [`crate::LabControl`] ([`process`]). In-service faults live in the
//! services themselves; the agent only forwards them.

pub mod http;
pub mod process;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use process::ProcessFault;

pub use chaoslab_contract::wire::faults::{
    MAX_DURATION, check_duration_ms, check_optional_duration,
};

/// Delay distributions: the contract's.
pub mod delay {
    pub use chaoslab_contract::wire::delay::*;
}

/// Request matching: the contract's.
pub mod matcher {
    pub use chaoslab_contract::wire::matcher::*;
}

/// The agent's own record of process faults, and the id counter for all faults.
#[derive(Debug)]
pub struct FaultBook {
    next: AtomicU64,
    processes: Mutex<Vec<ProcessFault>>,
}

impl FaultBook {
    /// An empty book. The seed only makes ids differ between agents.
    pub fn new(_seed: u64) -> Self {
        Self {
            next: AtomicU64::new(1),
            processes: Mutex::new(Vec::new()),
        }
    }

    /// A new id such as `http-3`.
    pub fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.next.fetch_add(1, Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ProcessFault>> {
        self.processes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Process faults still in force.
    pub fn processes(&self) -> Vec<ProcessFault> {
        let now = tokio::time::Instant::now();
        self.lock()
            .iter()
            .filter(|f| f.expires.is_none_or(|e| e > now))
            .cloned()
            .collect()
    }

    /// Record a process fault.
    pub fn add_process(&self, fault: ProcessFault) {
        self.lock().push(fault);
    }

    /// Remove a process fault by id, returning it.
    pub fn take_process(&self, id: &str) -> Option<ProcessFault> {
        let mut all = self.lock();
        let i = all.iter().position(|f| f.id == id)?;
        Some(all.remove(i))
    }

    /// Remove every process fault, returning them.
    pub fn take_all_processes(&self) -> Vec<ProcessFault> {
        std::mem::take(&mut *self.lock())
    }
}
