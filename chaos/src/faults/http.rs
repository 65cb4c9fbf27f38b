//! The HTTP faults in force on an http-mode proxy. Their wire shape and
//! rules are the contract's ([`HttpFaultSpec`]).

use std::sync::{Arc, Mutex};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use chaoslab_contract::wire::http_fault::{HttpAction, HttpFaultSpec};

/// An HTTP fault in force.
#[derive(Debug)]
pub struct HttpFault {
    pub id: String,
    pub spec: HttpFaultSpec,
    pub expires: Option<Instant>,
    /// Cancelled when the fault is removed or expires: requests it delays go on.
    pub ended: CancellationToken,
}

impl HttpFault {
    /// `http_abort` or `http_delay` (the `kind` label of the chaos metrics).
    pub fn kind(&self) -> &'static str {
        self.spec.action.kind()
    }

    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|e| e > now)
    }

    /// Hold a request for `delay`, or less: the hold ends when the fault
    /// expires or is removed, and the request then goes on to the upstream.
    pub async fn hold(&self, delay: std::time::Duration) {
        let mut until = Instant::now() + delay;
        if let Some(expires) = self.expires {
            until = until.min(expires);
        }
        tokio::select! {
            _ = crate::timer::sleep_until(until) => {}
            _ = self.ended.cancelled() => {}
        }
    }
}

/// The HTTP faults of one proxy. Requests take a snapshot (an `Arc` clone)
/// under a lock held for no I/O.
#[derive(Debug, Default)]
pub struct HttpFaults {
    faults: Mutex<Arc<Vec<Arc<HttpFault>>>>,
}

impl HttpFaults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Arc<Vec<Arc<HttpFault>>>> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Faults in force now (expired ones are skipped even before the reaper runs).
    pub fn list(&self) -> Vec<Arc<HttpFault>> {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|f| f.live(now))
            .cloned()
            .collect()
    }

    /// Add one.
    pub fn add(&self, fault: Arc<HttpFault>) {
        let mut all = self.lock();
        let mut next: Vec<_> = all.iter().cloned().collect();
        next.push(fault);
        *all = Arc::new(next);
    }

    /// Remove one by id; true if it was there.
    pub fn remove(&self, id: &str) -> bool {
        let mut all = self.lock();
        let (gone, next): (Vec<_>, Vec<_>) = all.iter().cloned().partition(|f| f.id == id);
        let removed = !gone.is_empty();
        gone.iter().for_each(|f| f.ended.cancel());
        *all = Arc::new(next);
        removed
    }

    /// Remove all.
    pub fn clear(&self) {
        let mut all = self.lock();
        all.iter().for_each(|f| f.ended.cancel());
        *all = Arc::new(Vec::new());
    }
}
