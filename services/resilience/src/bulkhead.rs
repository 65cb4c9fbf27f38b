//! The bulkhead: a cap on calls in flight to one dependency.
//!
//! A call over the cap is refused at once (there is no queue), so a slow
//! dependency can tie up at most `max_concurrent` of the caller's requests.
//! Every call holds a [`BulkheadSlot`] for its whole life, retries included;
//! dropping the slot (the call finished, failed or was cancelled) frees it.
//! Calls are counted even with the bulkhead disabled, so `in_flight` always
//! shows how many calls are waiting on the dependency.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::metrics;
use crate::policy::BulkheadPolicy;

#[derive(Debug)]
pub(crate) struct Bulkhead {
    dependency: Arc<str>,
    in_flight: AtomicUsize,
}

/// One occupied place in the bulkhead, freed on drop.
#[derive(Debug)]
pub(crate) struct BulkheadSlot<'a> {
    bulkhead: &'a Bulkhead,
}

impl Bulkhead {
    pub(crate) fn new(dependency: Arc<str>) -> Self {
        Self {
            dependency,
            in_flight: AtomicUsize::new(0),
        }
    }

    /// A slot, or `None` when the bulkhead is enabled and full.
    pub(crate) fn try_enter(&self, policy: &BulkheadPolicy) -> Option<BulkheadSlot<'_>> {
        let max = policy.max_concurrent as usize;
        let admitted = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (!policy.enabled || n < max).then_some(n + 1)
            });
        let now = admitted.ok()? + 1;
        metrics::in_flight(&self.dependency, now);
        Some(BulkheadSlot { bulkhead: self })
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

impl Drop for BulkheadSlot<'_> {
    fn drop(&mut self) {
        let now = self.bulkhead.in_flight.fetch_sub(1, Ordering::AcqRel) - 1;
        metrics::in_flight(&self.bulkhead.dependency, now);
    }
}
