//! The generator's Prometheus series: `loadgen_requests_total{journey,outcome}`
//! and `loadgen_request_duration_seconds{journey}`, with handles taken once so
//! an arrival costs no registry look-up.
//!
//! Every journey/outcome pair is registered at start with a zero count, so
//! dashboards and error-ratio queries see series (at 0) before the first
//! request and before the first failure.

use crate::outcome::Outcome;
use chaoslab_kit::names::{self, label};
use metrics::{Counter, Histogram};
use std::time::Duration;

/// Handles into the global recorder installed by telemetry set-up. Built
/// after the recorder is installed; before that they count nowhere.
pub(crate) struct Meters {
    requests: Vec<Vec<Counter>>,
    duration: Vec<Histogram>,
}

impl Meters {
    /// Handles for the journeys named `journeys` (indexed as given).
    pub(crate) fn new(journeys: &[String]) -> Self {
        let requests = journeys
            .iter()
            .map(|j| {
                Outcome::ALL
                    .iter()
                    .map(|o| {
                        let c = metrics::counter!(names::LOADGEN_REQUESTS,
                            label::JOURNEY => j.clone(), label::OUTCOME => o.name());
                        c.increment(0);
                        c
                    })
                    .collect()
            })
            .collect();
        let duration = journeys
            .iter()
            .map(|j| metrics::histogram!(names::LOADGEN_DURATION, label::JOURNEY => j.clone()))
            .collect();
        Self { requests, duration }
    }

    /// Counts one arrival; `latency` (from the intended send time) is `None`
    /// for dropped arrivals, which never reached the target.
    pub(crate) fn record(&self, journey: usize, outcome: Outcome, latency: Option<Duration>) {
        self.requests[journey][outcome.index()].increment(1);
        if let Some(l) = latency {
            self.duration[journey].record(l.as_secs_f64());
        }
    }
}
