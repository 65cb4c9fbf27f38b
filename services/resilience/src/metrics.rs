//! The metrics every dependency reports, through the `metrics` facade.
//!
//! The names are part of the lab's contract (design.md, "Telemetry names")
//! and are also written in `chaoslab_kit::names`; this crate cannot depend on
//! the kit (the kit depends on it), so they are copied here and MUST stay
//! equal to the ones there.
//!
//! Series are registered with zero values when a dependency is created, so a
//! dashboard shows a flat line rather than "no data" before the first failure.

use std::sync::Arc;

use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};
use serde::{Deserialize, Serialize};

use crate::breaker::BreakerState;

// Must match `chaoslab_kit::names` and design.md.
const CALLS: &str = "resilience_calls_total";
const RETRIES: &str = "resilience_retries_total";
const CIRCUIT_STATE: &str = "resilience_circuit_state";
const BULKHEAD_IN_FLIGHT: &str = "resilience_bulkhead_in_flight";
const DEPENDENCY: &str = "dependency";
const OUTCOME: &str = "outcome";

/// How one call through the kit ended, the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Timeout,
    RejectedCircuitOpen,
    RejectedBulkhead,
    /// Recorded by the caller when it served a fallback instead of an answer.
    Fallback,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Success,
        Outcome::Failure,
        Outcome::Timeout,
        Outcome::RejectedCircuitOpen,
        Outcome::RejectedBulkhead,
        Outcome::Fallback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Timeout => "timeout",
            Outcome::RejectedCircuitOpen => "rejected_circuit_open",
            Outcome::RejectedBulkhead => "rejected_bulkhead",
            Outcome::Fallback => "fallback",
        }
    }
}

/// Describes the metrics and publishes every series of `dependency` with
/// its current value (zero for counters that never moved).
pub(crate) fn register(dependency: &Arc<str>, state: BreakerState, in_flight_now: usize) {
    describe_counter!(
        CALLS,
        Unit::Count,
        "Calls to a dependency through the resilience kit, by outcome"
    );
    describe_counter!(RETRIES, Unit::Count, "Retries made to a dependency");
    describe_gauge!(
        CIRCUIT_STATE,
        "Circuit breaker state: 0 closed, 1 half-open, 2 open"
    );
    describe_gauge!(
        BULKHEAD_IN_FLIGHT,
        Unit::Count,
        "Calls to a dependency in flight"
    );
    for outcome in Outcome::ALL {
        call(dependency, outcome, 0);
    }
    counter!(RETRIES, DEPENDENCY => dependency.clone()).increment(0);
    circuit_state(dependency, state);
    in_flight(dependency, in_flight_now);
}

pub(crate) fn call(dependency: &Arc<str>, outcome: Outcome, n: u64) {
    counter!(CALLS, DEPENDENCY => dependency.clone(), OUTCOME => outcome.as_str()).increment(n);
}

pub(crate) fn retry(dependency: &Arc<str>) {
    counter!(RETRIES, DEPENDENCY => dependency.clone()).increment(1);
}

pub(crate) fn circuit_state(dependency: &Arc<str>, state: BreakerState) {
    gauge!(CIRCUIT_STATE, DEPENDENCY => dependency.clone()).set(state.gauge_value());
}

pub(crate) fn in_flight(dependency: &Arc<str>, n: usize) {
    gauge!(BULKHEAD_IN_FLIGHT, DEPENDENCY => dependency.clone()).set(n as f64);
}
