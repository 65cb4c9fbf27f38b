//! What `GET /admin/resilience` shows of a dependency, and the running totals
//! behind it.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::breaker::BreakerStatus;
use crate::metrics::Outcome;
use crate::policy::Policy;
use crate::retry::BudgetStatus;

/// A dependency's policy and live state at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyStatus {
    pub name: String,
    pub policy: Policy,
    pub breaker: BreakerStatus,
    /// Calls waiting on the dependency now (counted even with the bulkhead off).
    pub in_flight: usize,
    pub retry_budget: BudgetStatus,
    /// Calls by outcome and retries since start, as in the metrics.
    pub totals: Totals,
}

/// Calls by outcome and retries since the dependency was created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub success: u64,
    pub failure: u64,
    pub timeout: u64,
    pub rejected_circuit_open: u64,
    pub rejected_bulkhead: u64,
    pub fallback: u64,
    pub retries: u64,
}

/// The live counters behind [`Totals`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    outcomes: [AtomicU64; 6],
    retries: AtomicU64,
}

impl Counters {
    pub(crate) fn outcome(&self, outcome: Outcome) {
        let index = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.outcomes[index].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn totals(&self) -> Totals {
        let get = |o: Outcome| {
            let index = Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
            self.outcomes[index].load(Ordering::Relaxed)
        };
        Totals {
            success: get(Outcome::Success),
            failure: get(Outcome::Failure),
            timeout: get(Outcome::Timeout),
            rejected_circuit_open: get(Outcome::RejectedCircuitOpen),
            rejected_bulkhead: get(Outcome::RejectedBulkhead),
            fallback: get(Outcome::Fallback),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}
