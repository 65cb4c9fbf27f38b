//! In-process latency and outcome statistics behind `GET /load`: HDR
//! histograms per journey, since start and over a sliding window of
//! one-second slots.
//!
//! ```text
//!  record(journey, outcome, latency, failed step) ──> totals[journey]   (since start)
//!                                   └──> slots[journey][second % window]  (reset when reused)
//!  report() ── merge the slots of the last `window_secs` seconds ──> JourneyReport
//! ```

use crate::outcome::Outcome;
use crate::report::JourneyReport;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Latencies are kept in microseconds up to an hour, to 2 significant
/// digits (1 % resolution, about 20 KB a histogram).
const MAX_MICROS: u64 = 3_600_000_000;
const SIGFIG: u8 = 2;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, SIGFIG).expect("static histogram bounds are valid")
}

/// Counts by outcome plus the latencies of the arrivals that were sent.
#[derive(Clone)]
pub(crate) struct Tally {
    counts: [u64; Outcome::ALL.len()],
    latency: Histogram<u64>,
    /// Failed plays by the step that failed (`2 POST /orders`).
    failed_steps: BTreeMap<String, u64>,
}

impl Tally {
    fn new() -> Self {
        Self {
            counts: [0; Outcome::ALL.len()],
            latency: new_histogram(),
            failed_steps: BTreeMap::new(),
        }
    }

    fn clear(&mut self) {
        self.counts = [0; Outcome::ALL.len()];
        self.latency.reset();
        self.failed_steps.clear();
    }

    fn record(&mut self, outcome: Outcome, latency: Option<Duration>, failed: Option<&str>) {
        self.counts[outcome.index()] += 1;
        if let Some(step) = failed {
            *self.failed_steps.entry(step.to_string()).or_default() += 1;
        }
        if let Some(l) = latency {
            let micros = u64::try_from(l.as_micros()).unwrap_or(MAX_MICROS);
            self.latency.saturating_record(micros.clamp(1, MAX_MICROS));
        }
    }

    fn merge(&mut self, other: &Tally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        for (step, n) in &other.failed_steps {
            *self.failed_steps.entry(step.clone()).or_default() += n;
        }
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
    }

    /// The JSON view: counts, success ratio and percentiles in milliseconds.
    pub(crate) fn summary(&self) -> JourneyReport {
        let count = |o: Outcome| self.counts[o.index()];
        let requests: u64 = self.counts.iter().sum();
        let success = count(Outcome::Success);
        let dropped = count(Outcome::Dropped);
        let errors = Outcome::ALL
            .iter()
            .filter(|o| o.is_error())
            .map(|o| count(*o))
            .sum();
        let sent = !self.latency.is_empty();
        let pct = |q: f64| sent.then(|| self.latency.value_at_quantile(q) as f64 / 1000.0);
        JourneyReport {
            requests,
            success,
            errors,
            dropped,
            success_ratio: (requests > 0).then(|| success as f64 / requests as f64),
            p50_ms: pct(0.50),
            p95_ms: pct(0.95),
            p99_ms: pct(0.99),
            max_ms: sent.then(|| self.latency.max() as f64 / 1000.0),
            outcomes: Outcome::ALL
                .iter()
                .map(|o| (o.name().to_string(), count(*o)))
                .collect(),
            failed_steps: self.failed_steps.clone(),
        }
    }
}

struct Slot {
    second: u64,
    tally: Tally,
}

struct JourneyStats {
    total: Tally,
    slots: Vec<Slot>,
}

/// Statistics of one generator run.
pub(crate) struct Stats {
    start: Instant,
    window_secs: u64,
    names: Vec<String>,
    journeys: Vec<Mutex<JourneyStats>>,
}

impl Stats {
    /// Statistics of the journeys `names` (indexed as given).
    pub(crate) fn new(window_secs: u64, names: Vec<String>) -> Self {
        let window_secs = window_secs.max(1);
        let journeys = names
            .iter()
            .map(|_| {
                Mutex::new(JourneyStats {
                    total: Tally::new(),
                    slots: (0..window_secs)
                        .map(|_| Slot {
                            second: u64::MAX,
                            tally: Tally::new(),
                        })
                        .collect(),
                })
            })
            .collect();
        Self {
            start: Instant::now(),
            window_secs,
            names,
            journeys,
        }
    }

    pub(crate) fn window_secs(&self) -> u64 {
        self.window_secs
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn second(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_secs()
    }

    /// Counts one arrival of journey `journey` (an index); `failed` names
    /// the step that ended it.
    pub(crate) fn record(
        &self,
        journey: usize,
        outcome: Outcome,
        latency: Option<Duration>,
        failed: Option<&str>,
    ) {
        let now = self.second(Instant::now());
        let mut j = lock(&self.journeys[journey]);
        j.total.record(outcome, latency, failed);
        let slot = &mut j.slots[(now % self.window_secs) as usize];
        if slot.second != now {
            slot.second = now;
            slot.tally.clear();
        }
        slot.tally.record(outcome, latency, failed);
    }

    /// Per journey and all journeys together: (window, totals).
    pub(crate) fn tallies(&self) -> (BTreeMap<String, Tally>, BTreeMap<String, Tally>) {
        let now = self.second(Instant::now());
        let oldest = now.saturating_sub(self.window_secs - 1);
        let mut window = BTreeMap::new();
        let mut totals = BTreeMap::new();
        for (journey, name) in self.names.iter().enumerate() {
            let j = lock(&self.journeys[journey]);
            let mut w = Tally::new();
            for slot in j
                .slots
                .iter()
                .filter(|s| s.second >= oldest && s.second <= now)
            {
                w.merge(&slot.tally);
            }
            window.insert(name.clone(), w);
            totals.insert(name.clone(), j.total.clone());
        }
        (window, totals)
    }
}

/// Merges several tallies into one (the "all journeys" line).
pub(crate) fn merged<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> Tally {
    let mut all = Tally::new();
    for t in tallies {
        all.merge(t);
    }
    all
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain counters behind: still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}
