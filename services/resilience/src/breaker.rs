//! The circuit breaker: stop calling a dependency that keeps failing.
//!
//! ```text
//!            failure rate >= threshold            open_ms elapsed
//!  Closed ────(over the last window_size calls,)──> Open ─────────────> HalfOpen
//!    ^            at least min_calls of them)        ^                  │  lets half_open_trials
//!    │                                               └── a trial fails ─┤  calls through
//!    └──────────────── every trial succeeded ───────────────────────────┘
//! ```
//!
//! Each admitted call holds a [`BreakerPermit`]; its result is recorded only
//! if the breaker is still in the state (the same *generation*) that admitted
//! it. A permit dropped without a result (the call was cancelled, or cut short
//! by the caller's deadline) gives its trial slot back, so a half-open
//! breaker cannot get stuck waiting for trials that never report.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::metrics;
use crate::policy::BreakerPolicy;
use crate::sync::lock;

/// Where a breaker is in its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    HalfOpen,
    Open,
}

impl BreakerState {
    /// The value of the `resilience_circuit_state` gauge.
    pub fn gauge_value(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Open => "open",
        }
    }
}

/// What the status API shows of a breaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakerStatus {
    pub state: BreakerState,
    /// Share of failures among the calls in the window (0 when empty).
    pub failure_rate: f64,
    /// Calls in the window now.
    pub window_calls: u32,
    /// While open: how long until trial calls are let through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub half_open_in_ms: Option<u64>,
}

/// The state machine, free of locks and metrics.
#[derive(Debug)]
struct Machine {
    state: BreakerState,
    /// Most recent last; `true` is a failure.
    window: VecDeque<bool>,
    opened_at: Instant,
    trials_admitted: u32,
    trials_succeeded: u32,
    /// Bumped on every state change; results of older permits are ignored.
    generation: u64,
}

impl Machine {
    fn new() -> Self {
        Self {
            state: BreakerState::Closed,
            window: VecDeque::new(),
            opened_at: Instant::now(),
            trials_admitted: 0,
            trials_succeeded: 0,
            generation: 0,
        }
    }

    fn failure_rate(&self) -> f64 {
        if self.window.is_empty() {
            return 0.0;
        }
        let failures = self.window.iter().filter(|f| **f).count();
        failures as f64 / self.window.len() as f64
    }

    fn go(&mut self, state: BreakerState, now: Instant) {
        self.state = state;
        self.generation += 1;
        self.trials_admitted = 0;
        self.trials_succeeded = 0;
        match state {
            BreakerState::Open => self.opened_at = now,
            BreakerState::Closed => self.window.clear(),
            BreakerState::HalfOpen => {}
        }
    }

    /// Moves from open to half-open once the cool-down is over.
    fn refresh(&mut self, policy: &BreakerPolicy, now: Instant) -> bool {
        let cool_down = Duration::from_millis(policy.open_ms);
        if self.state == BreakerState::Open && now >= self.opened_at + cool_down {
            self.go(BreakerState::HalfOpen, now);
            return true;
        }
        false
    }
}

/// A breaker shared by every call to one dependency.
#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    dependency: Arc<str>,
    machine: Mutex<Machine>,
}

/// Permission for one attempt; report its result with [`BreakerPermit::record`].
#[derive(Debug)]
pub(crate) struct BreakerPermit<'a> {
    breaker: &'a CircuitBreaker,
    generation: u64,
    trial: bool,
    done: bool,
}

impl CircuitBreaker {
    pub(crate) fn new(dependency: Arc<str>) -> Self {
        Self {
            dependency,
            machine: Mutex::new(Machine::new()),
        }
    }

    /// A permit if a call may go through now, `None` if the breaker rejects it.
    pub(crate) fn try_acquire(&self, policy: &BreakerPolicy) -> Option<BreakerPermit<'_>> {
        let now = Instant::now();
        let mut m = lock(&self.machine);
        if m.refresh(policy, now) {
            self.announce(BreakerState::HalfOpen);
        }
        let trial = match m.state {
            BreakerState::Closed => false,
            BreakerState::Open => return None,
            BreakerState::HalfOpen if m.trials_admitted < policy.half_open_trials => {
                m.trials_admitted += 1;
                true
            }
            BreakerState::HalfOpen => return None,
        };
        Some(BreakerPermit {
            breaker: self,
            generation: m.generation,
            trial,
            done: false,
        })
    }

    fn record(&self, policy: &BreakerPolicy, permit: &BreakerPermit<'_>, failure: bool) {
        let now = Instant::now();
        let mut m = lock(&self.machine);
        if permit.generation != m.generation {
            return;
        }
        let next = match m.state {
            BreakerState::Closed => {
                m.window.push_back(failure);
                while m.window.len() > policy.window_size as usize {
                    m.window.pop_front();
                }
                let enough = m.window.len() >= policy.min_calls as usize;
                (enough && m.failure_rate() >= policy.failure_rate_threshold)
                    .then_some(BreakerState::Open)
            }
            BreakerState::HalfOpen if failure => Some(BreakerState::Open),
            BreakerState::HalfOpen => {
                m.trials_succeeded += 1;
                (m.trials_succeeded >= policy.half_open_trials).then_some(BreakerState::Closed)
            }
            BreakerState::Open => None,
        };
        if let Some(state) = next {
            m.go(state, now);
            drop(m);
            self.announce(state);
        }
    }

    fn release(&self, permit: &BreakerPermit<'_>) {
        let mut m = lock(&self.machine);
        if permit.trial && permit.generation == m.generation && m.state == BreakerState::HalfOpen {
            m.trials_admitted = m.trials_admitted.saturating_sub(1);
        }
    }

    /// Adapts to a new policy: disabling closes it and forgets the window;
    /// a changed window shape forgets the window.
    pub(crate) fn reconfigure(&self, old: &BreakerPolicy, new: &BreakerPolicy) {
        let mut m = lock(&self.machine);
        if !new.enabled && m.state != BreakerState::Closed {
            m.go(BreakerState::Closed, Instant::now());
            drop(m);
            self.announce(BreakerState::Closed);
            return;
        }
        if !new.enabled
            || old.window_size != new.window_size
            || old.min_calls != new.min_calls
            || old.failure_rate_threshold != new.failure_rate_threshold
        {
            m.window.clear();
        }
    }

    pub(crate) fn status(&self, policy: &BreakerPolicy) -> BreakerStatus {
        let now = Instant::now();
        let mut m = lock(&self.machine);
        if m.refresh(policy, now) {
            self.announce(BreakerState::HalfOpen);
        }
        let half_open_in_ms = (m.state == BreakerState::Open).then(|| {
            let at = m.opened_at + Duration::from_millis(policy.open_ms);
            at.saturating_duration_since(now).as_millis() as u64
        });
        BreakerStatus {
            state: m.state,
            failure_rate: m.failure_rate(),
            window_calls: m.window.len() as u32,
            half_open_in_ms,
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        lock(&self.machine).state
    }

    fn announce(&self, state: BreakerState) {
        metrics::circuit_state(&self.dependency, state);
        match state {
            BreakerState::Open => tracing::warn!(dependency = %self.dependency, "circuit opened"),
            BreakerState::HalfOpen => {
                tracing::info!(dependency = %self.dependency, "circuit half-open, letting trial calls through")
            }
            BreakerState::Closed => tracing::info!(dependency = %self.dependency, "circuit closed"),
        }
    }
}

impl BreakerPermit<'_> {
    /// Reports the attempt's result: `failure` counts against the dependency.
    pub(crate) fn record(mut self, policy: &BreakerPolicy, failure: bool) {
        self.done = true;
        self.breaker.record(policy, &self, failure);
    }
}

impl Drop for BreakerPermit<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.release(self);
        }
    }
}
