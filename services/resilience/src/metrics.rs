//! The metrics every dependency reports, through the `metrics` facade.
//!
//! The names are part of the lab's contract (design.md, "Telemetry names").
//! They are written here, in [`names`], because the kit depends on this
//! crate and not the other way round; `chaoslab_kit::names` re-exports them
//! beside the lab's other names.
//!
//! Series are registered with zero values when a dependency is created, so a
//! dashboard shows a flat line rather than "no data" before the first failure.

use std::sync::Arc;

use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};
use serde::{Deserialize, Serialize};

use crate::breaker::BreakerState;

/// The metric and label names of the resilience policies.
pub mod names {
    /// Counter of calls through a resilience policy, by `dependency` and `outcome`.
    pub const CALLS: &str = "resilience_calls_total";
    /// Counter of retries made, by `dependency`.
    pub const RETRIES: &str = "resilience_retries_total";
    /// Gauge of a breaker's state, by `dependency`: 0 closed, 1 half-open, 2 open.
    pub const CIRCUIT_STATE: &str = "resilience_circuit_state";
    /// Gauge of calls in flight inside a bulkhead, by `dependency`.
    pub const BULKHEAD_IN_FLIGHT: &str = "resilience_bulkhead_in_flight";
    /// The label naming the dependency a policy guards.
    pub const DEPENDENCY: &str = "dependency";
    /// The label saying how a call ended ([`super::Outcome`]).
    pub const OUTCOME: &str = "outcome";
}

use names::{BULKHEAD_IN_FLIGHT, CALLS, CIRCUIT_STATE, DEPENDENCY, OUTCOME, RETRIES};

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
