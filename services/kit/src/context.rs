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
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            propagate_deadline: true,
            request_deadline_ms: None,
            honour_idempotency_keys: true,
            dead_letter_queue: true,
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
