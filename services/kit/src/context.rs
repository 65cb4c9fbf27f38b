//! What a running service knows about itself: its name, settings, outgoing
//! dependencies and active in-service faults. Shared by handlers and layers.

use crate::faults::Faults;
use chaoslab_resilience::Registry;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};

/// Per-service settings that can change at runtime.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSettings {
    /// Adopt the caller's deadline (`x-request-deadline-ms`) and pass the time
    /// left on to every outgoing call.
    pub propagate_deadline: bool,
    /// A deadline of this service's own for every request it serves (the
    /// gateway's promise to the user), in milliseconds. A service that has one
    /// is an edge: it ignores a caller's `x-request-deadline-ms`.
    pub request_deadline_ms: Option<u64>,
    /// payments: charge once per `Idempotency-Key` (off shows duplicate
    /// charges); an event consumer: do the work once per message id (off
    /// shows duplicate shipments).
    pub honour_idempotency_keys: bool,
    /// An event consumer: move a message that keeps failing to the
    /// dead-letter queue (off: it is retried forever and the queue stalls).
    pub dead_letter_queue: bool,
    /// How fast the service's own clocks run for the experiment driving it:
    /// durations a lesson depends on (inventory's reservation expiry) are
    /// multiplied by it, so a run at `--time-scale 0.5` sees them halved
    /// like its waits. 1 by default; the runner sets it and puts it back.
    pub time_scale: f64,
    /// Requests served at once (the business routes); the rest wait for a
    /// free worker, up to [`crate::workers::QUEUE_CAP`], then get a 503.
    /// Models a server with a fixed pool of worker threads; `None`: no limit.
    pub max_concurrent_requests: Option<u64>,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            propagate_deadline: true,
            request_deadline_ms: None,
            honour_idempotency_keys: true,
            dead_letter_queue: true,
            time_scale: 1.0,
            max_concurrent_requests: None,
        }
    }
}

/// The shared state of one service process.
pub struct ServiceCtx {
    pub name: String,
    pub deps: Arc<Registry>,
    pub faults: Arc<Faults>,
    /// Bearer token that opens `/admin` to non-loopback callers.
    pub admin_token: Option<String>,
    settings: RwLock<ServiceSettings>,
    /// The requests being served, for `max_concurrent_requests`.
    pub workers: crate::workers::Workers,
}

impl ServiceSettings {
    /// `d` at this service's time scale (a scale that is not a positive
    /// finite number counts as 1).
    pub fn scaled(&self, d: std::time::Duration) -> std::time::Duration {
        let s = self.time_scale;
        if s.is_finite() && s > 0.0 {
            d.mul_f64(s.min(1000.0))
        } else {
            d
        }
    }
}

impl ServiceCtx {
    pub fn new(name: &str, deps: Arc<Registry>, settings: ServiceSettings) -> Arc<Self> {
        Arc::new(Self {
            name: name.to_string(),
            deps,
            faults: Faults::new(name),
            admin_token: std::env::var("CHAOSLAB_ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            settings: RwLock::new(settings),
            workers: Default::default(),
        })
    }

    pub fn settings(&self) -> ServiceSettings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_settings(&self, s: ServiceSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = s;
    }
}
