//! HTTP faults on an http-mode proxy: abort a request with a status, or delay
//! it, for the requests a [`Match`] selects, a `percent` of the time.
//!
//! ```json
//! {"type": "abort", "status": 503, "body": "injected", "percent": 50,
//!  "match": {"method": "GET", "path": "/api/*"}, "duration_ms": 30000}
//! {"type": "delay", "delay": {"distribution": "fixed", "ms": 300}}
//! ```

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::delay::Delay;
use super::matcher::Match;

/// What an HTTP fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum HttpAction {
    /// Answer without calling the upstream.
    Abort {
        /// The status to answer with.
        status: u16,
        /// The body; defaults to a JSON error naming the fault.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// Hold the request before forwarding it.
    Delay { delay: Delay },
}

/// Body of `POST /chaos/proxies/{p}/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpFaultSpec {
    #[serde(flatten)]
    pub action: HttpAction,
    /// Which requests; all when absent.
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// Share of matching requests affected, 0 to 100 (default 100).
    #[serde(default = "hundred")]
    pub percent: f64,
    /// Reverts by itself after this long; forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

fn hundred() -> f64 {
    100.0
}

impl HttpFaultSpec {
    /// Check the values: the one set of rules, used by the agent's API and
    /// by `chaoslab run --check`.
    pub fn validate(&self) -> Result<(), String> {
        super::check_optional_duration(self.duration_ms)?;
        if !(0.0..=100.0).contains(&self.percent) {
            return Err(format!(
                "percent must be within 0..=100, got {}",
                self.percent
            ));
        }
        match &self.action {
            HttpAction::Abort { status, .. } => {
                // An abort answers instead of the upstream: an error status.
                if !(400..=599).contains(status) {
                    return Err(format!("status must be within 400..=599, got {status}"));
                }
            }
            HttpAction::Delay { delay } => delay.validate()?,
        }
        Ok(())
    }
}

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
        match self.spec.action {
            HttpAction::Abort { .. } => "http_abort",
            HttpAction::Delay { .. } => "http_delay",
        }
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
            _ = tokio::time::sleep_until(until) => {}
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
