//! The trace store: spans grouped by trace id, bounded by a span budget
//! and a byte budget.
//!
//! Spans are appended to their trace as they arrive, in any order (a parent
//! may come after its child); the per-trace summary is kept up to date on
//! every insert so listings never walk the spans. When the total number of
//! spans or the bytes held exceed their budget, whole traces are evicted
//! oldest-first (by the arrival of their first span) and counted. Bytes
//! are what the spans own on the heap ([`StoredSpan::heap_bytes`]) plus
//! the span lists and map slots; string values are cut at conversion
//! ([`super::convert::Limits`]), so one span cannot exceed the budget alone.
//!
//! One mutex guards the store; an insert holds it once per export request,
//! and the conversion from OTLP happens before, outside the lock.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::ids::TraceId;
use super::span::{StoredSpan, alloc_size};

/// A trace as stored: its spans in arrival order and a running summary.
#[derive(Debug, Default)]
pub struct Trace {
    pub spans: Vec<StoredSpan>,
    /// Earliest start, Unix ns.
    pub start: u64,
    /// Latest end, Unix ns.
    pub end: u64,
    /// Distinct services, in first-seen order.
    pub services: Vec<Arc<str>>,
    pub has_error: bool,
    pub has_fault: bool,
    /// Index of the root span (no parent; the earliest if several).
    pub root: Option<usize>,
    /// Approximate heap bytes held: the span list and what each span owns.
    pub bytes: usize,
}

/// Bytes a stored trace costs beyond its spans: its map slot (with the
/// table's spare capacity) and its place in the arrival queue.
const PER_TRACE_BYTES: usize =
    (std::mem::size_of::<(TraceId, Trace)>() + 1) * 8 / 7 + std::mem::size_of::<TraceId>();

impl Trace {
    /// Adds a span; returns the bytes that added.
    fn push(&mut self, span: StoredSpan) -> usize {
        if self.spans.is_empty() || span.start_unix_nano < self.start {
            self.start = span.start_unix_nano;
        }
        self.end = self.end.max(span.end_unix_nano);
        if !self.services.contains(&span.service) {
            self.services.push(span.service.clone());
        }
        self.has_error |= span.is_error();
        self.has_fault |= span.has_fault();
        if span.parent_id == 0 {
            let earlier = match self.root {
                Some(r) => span.start_unix_nano < self.spans[r].start_unix_nano,
                None => true,
            };
            if earlier {
                self.root = Some(self.spans.len());
            }
        }
        let span_size = std::mem::size_of::<StoredSpan>();
        let before = alloc_size(self.spans.capacity() * span_size);
        let owned = span.heap_bytes();
        self.spans.push(span);
        let added = alloc_size(self.spans.capacity() * span_size) - before + owned;
        self.bytes += added;
        added
    }

    /// The root span, or the earliest span while the root is missing.
    pub fn root_or_first(&self) -> Option<&StoredSpan> {
        match self.root {
            Some(r) => self.spans.get(r),
            None => self.spans.iter().min_by_key(|s| s.start_unix_nano),
        }
    }

    /// End minus start, ms.
    pub fn duration_ms(&self) -> f64 {
        self.end.saturating_sub(self.start) as f64 / 1e6
    }
}

/// Which traces a listing wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceFilter {
    pub service: Option<String>,
    pub errors_only: bool,
    pub min_duration_ms: Option<f64>,
    pub faults_only: bool,
}

impl TraceFilter {
    fn matches(&self, t: &Trace) -> bool {
        (!self.errors_only || t.has_error)
            && (!self.faults_only || t.has_fault)
            && self.min_duration_ms.is_none_or(|m| t.duration_ms() >= m)
            && self
                .service
                .as_deref()
                .is_none_or(|s| t.services.iter().any(|x| &**x == s))
    }
}

/// Counters the store keeps about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StoreStats {
    pub budget: usize,
    pub spans: usize,
    pub traces: usize,
    pub spans_received: u64,
    pub spans_evicted: u64,
    pub traces_evicted: u64,
    pub approx_bytes: usize,
    pub byte_budget: usize,
}

#[derive(Debug, Default)]
struct Inner {
    /// foldhash (seeded per process), not SipHash: every span's insert and
    /// every edge look-up hashes its trace id.
    traces: HashMap<TraceId, Trace, foldhash::fast::RandomState>,
    /// Trace ids in the order their first span arrived.
    order: VecDeque<TraceId>,
    spans: usize,
    bytes: usize,
    received: u64,
    evicted_spans: u64,
    evicted_traces: u64,
}

/// The bounded trace store.
#[derive(Debug)]
pub struct TraceStore {
    budget: usize,
    byte_budget: usize,
    inner: Mutex<Inner>,
}

impl TraceStore {
    /// A store that holds at most `budget` spans and about `byte_budget`
    /// bytes (each at least 1).
    pub fn new(budget: usize, byte_budget: usize) -> Self {
        Self {
            budget: budget.max(1),
            byte_budget: byte_budget.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated
        // in a way that matters more than losing the store, so keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds spans (from one request), then evicts to stay within budget.
    pub fn insert(&self, spans: Vec<(TraceId, StoredSpan)>) {
        if spans.is_empty() {
            return;
        }
        let mut g = self.lock();
        let inner = &mut *g;
        inner.received += spans.len() as u64;
        for (id, span) in spans {
            let trace = inner.traces.entry(id).or_insert_with(|| {
                inner.order.push_back(id);
                Trace::default()
            });
            inner.bytes += trace.push(span);
            inner.spans += 1;
        }
        while inner.spans > self.budget
            || inner.bytes + inner.traces.len() * PER_TRACE_BYTES > self.byte_budget
        {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(t) = inner.traces.remove(&old) {
                inner.spans -= t.spans.len();
                inner.bytes = inner.bytes.saturating_sub(t.bytes);
                inner.evicted_spans += t.spans.len() as u64;
                inner.evicted_traces += 1;
            }
        }
    }

    /// The store's counters.
    pub fn stats(&self) -> StoreStats {
        let g = self.lock();
        StoreStats {
            budget: self.budget,
            spans: g.spans,
            traces: g.traces.len(),
            spans_received: g.received,
            spans_evicted: g.evicted_spans,
            traces_evicted: g.evicted_traces,
            approx_bytes: g.bytes + g.traces.len() * PER_TRACE_BYTES,
            byte_budget: self.byte_budget,
        }
    }

    /// Calls `f` on every matching trace, newest arrival first, and returns
    /// how many matched. `f` returns false to stop early.
    pub fn scan<F>(&self, filter: &TraceFilter, mut f: F) -> usize
    where
        F: FnMut(TraceId, &Trace),
    {
        let g = self.lock();
        let mut matched = 0;
        for id in g.order.iter().rev() {
            if let Some(t) = g.traces.get(id)
                && filter.matches(t)
            {
                matched += 1;
                f(*id, t);
            }
        }
        matched
    }

    /// Runs `f` on several traces under one lock (those stored).
    pub fn with_traces(&self, ids: &[TraceId], mut f: impl FnMut(TraceId, &Trace)) {
        let g = self.lock();
        for id in ids {
            if let Some(t) = g.traces.get(id) {
                f(*id, t);
            }
        }
    }

    /// Runs `f` on one trace, if stored.
    pub fn with_trace<R>(&self, id: TraceId, f: impl FnOnce(&Trace) -> R) -> Option<R> {
        let g = self.lock();
        g.traces.get(&id).map(f)
    }
}

#[cfg(test)]
mod tests;
