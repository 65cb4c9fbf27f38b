//! A service's admin API on the wire (`/admin/...`): resilience policies
//! and their live state (the resilience crate's own types), request
//! settings, and in-service faults ([`super::service_fault`]).
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /admin/resilience` | | `[DependencyStatus]` |
//! | `PUT /admin/resilience` | `{dependency: PolicyPatch}` | `[DependencyStatus]` |
//! | `GET/PUT /admin/resilience/{dependency}` | `PolicyPatch` | `DependencyStatus` |
//! | `GET/PUT /admin/settings` | settings fields | [`ServiceSettings`] |
//! | `GET/POST/DELETE /admin/faults` | [`ServiceFaultRequest`] | [`FaultView`]s |
//! | `DELETE /admin/faults/{id}` | | 204 |
//!
//! Errors are [`ErrorBody`]: `{"error": "bad request", "reason": "..."}`.

use serde::{Deserialize, Serialize};

pub use super::service_fault::{FaultSpec, KINDS, ServiceFaultRequest, SpecError};
pub use chaoslab_resilience::{DependencyStatus, Policy, PolicyPatch};

/// Per-service settings that can change at runtime (`/admin/settings`).
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
    /// free worker, up to the kit's queue cap, then get a 503. Models a
    /// server with a fixed pool of worker threads; `None`: no limit.
    pub max_concurrent_requests: Option<u64>,
    /// orders: announce a confirmed order through the outbox (written with
    /// the order, relayed when the broker has it). Off: the checkout
    /// publishes `order.placed` itself after confirming (a dual write),
    /// and the event is lost when the broker is down.
    pub publish_via_outbox: bool,
    /// An event consumer: messages it works on at once (1: one at a
    /// time, in order; up to 64).
    pub max_in_flight: u64,
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
            publish_via_outbox: true,
            max_in_flight: 1,
        }
    }
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

    /// These settings with the fields of a JSON object over them (what
    /// `PUT /admin/settings` does); an unknown field or a value of the wrong
    /// type is an error naming it.
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Self, String> {
        let mut current = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let (Some(cur), Some(p)) = (current.as_object_mut(), patch.as_object()) else {
            return Err("expected a JSON object".into());
        };
        for (k, v) in p {
            cur.insert(k.clone(), v.clone());
        }
        serde_json::from_value(current).map_err(|e| e.to_string())
    }
}

/// What `GET /admin/faults` shows of a fault (and `POST` answers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultView {
    pub id: String,
    pub target: String,
    #[serde(flatten)]
    pub spec: FaultSpec,
    pub duration_ms: u64,
    pub remaining_ms: u64,
    /// Seconds since the Unix epoch when the fault began.
    pub started_at: f64,
}

/// The body of a service's error answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A short class: `bad request`, `unknown dependency`, `forbidden`, ...
    pub error: String,
    /// What was wrong, in the service's words.
    #[serde(default)]
    pub reason: String,
}
