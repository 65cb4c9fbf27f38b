//! One callee as seen by its caller: its policy, its breaker, bulkhead and
//! retry budget, and [`Dependency::call`], which runs an operation through
//! all of them.
//!
//! ```text
//! call ─> bulkhead slot ─> breaker permit ─> attempt (timeout = min(policy, deadline left))
//!            │ full           │ open              │ ok / not-a-failure ──> return
//!            v                v                   │ failure or timeout
//!      BulkheadFull      CircuitOpen              v
//!                                   retryable? attempts left? time left? budget left?
//!                                        │ yes: sleep full-jitter backoff, next attempt
//!                                        └ no:  return the last error
//! ```
//!
//! The policy is read once at the start of each call, so a policy change
//! applies to the next call and never to half of one.

use std::future::Future;
use std::sync::{Arc, RwLock};

use tokio::time::Instant;

use crate::breaker::{BreakerPermit, BreakerState, CircuitBreaker};
use crate::bulkhead::Bulkhead;
use crate::error::{CallError, CallErrorKind, Failure};
use crate::metrics::{self, Outcome};
use crate::options::{CallOptions, attempt_limit};
use crate::patch::PolicyPatch;
use crate::policy::{Policy, PolicyError};
use crate::retry::{RetryBudget, backoff_delay};
use crate::status::{Counters, DependencyStatus};
use crate::sync::{read, write};

/// One callee (`users`, `payments`, ...) and the state of the mechanisms that
/// guard calls to it. Shared as `Arc<Dependency>`.
#[derive(Debug)]
pub struct Dependency {
    name: Arc<str>,
    policy: RwLock<Arc<Policy>>,
    breaker: CircuitBreaker,
    bulkhead: Bulkhead,
    budget: RetryBudget,
    counters: Counters,
}

impl Dependency {
    /// A dependency using `policy` as given (check it with
    /// [`Policy::validate`] first, or use [`Dependency::try_new`]). Its
    /// metric series are published at once, with zero values.
    pub fn new(name: impl Into<String>, policy: Policy) -> Arc<Self> {
        let name: Arc<str> = Arc::from(name.into());
        let dep = Arc::new(Self {
            policy: RwLock::new(Arc::new(policy)),
            breaker: CircuitBreaker::new(name.clone()),
            bulkhead: Bulkhead::new(name.clone()),
            budget: RetryBudget::default(),
            counters: Counters::default(),
            name,
        });
        dep.publish_metrics();
        dep
    }

    /// Like [`Dependency::new`], refusing an invalid policy.
    pub fn try_new(name: impl Into<String>, policy: Policy) -> Result<Arc<Self>, PolicyError> {
        let name = name.into();
        policy.validate().map_err(|e| e.in_dependency(&name))?;
        Ok(Self::new(name, policy))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn policy(&self) -> Policy {
        Policy::clone(&read(&self.policy))
    }

    /// Replaces the policy; the next call uses it. Disabling the breaker
    /// closes it; changing its window shape forgets the recorded calls.
    pub fn set_policy(&self, policy: Policy) -> Result<(), PolicyError> {
        policy.validate()?;
        let mut current = write(&self.policy);
        self.adapt(&current, &policy);
        *current = Arc::new(policy);
        Ok(())
    }

    /// Merges `patch` onto the current policy and installs the result, in
    /// one step; on error nothing changes. Returns the new policy.
    pub fn update(&self, patch: &PolicyPatch) -> Result<Policy, PolicyError> {
        let mut current = write(&self.policy);
        let next = current.apply(patch)?;
        self.adapt(&current, &next);
        *current = Arc::new(next.clone());
        Ok(next)
    }

    fn adapt(&self, old: &Policy, new: &Policy) {
        self.breaker.reconfigure(&old.breaker, &new.breaker);
        if old.retry.budget_window_ms != new.retry.budget_window_ms {
            self.budget.reset_window();
        }
        tracing::info!(dependency = %self.name, ?new, "resilience policy changed");
    }

    pub fn status(&self) -> DependencyStatus {
        let policy = read(&self.policy).clone();
        DependencyStatus {
            name: self.name.to_string(),
            breaker: self.breaker.status(&policy.breaker),
            in_flight: self.bulkhead.in_flight(),
            retry_budget: self.budget.status(&policy.retry),
            totals: self.counters.totals(),
            policy: Policy::clone(&policy),
        }
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// Publishes every metric series of this dependency with its current
    /// value. Called on creation; call it again if the metrics recorder was
    /// installed after the dependency was created.
    pub fn publish_metrics(&self) {
        metrics::register(&self.name, self.breaker.state(), self.bulkhead.in_flight());
    }

    /// Whether the caller should serve its fallback when a call fails.
    pub fn fallback_enabled(&self) -> bool {
        read(&self.policy).fallback.enabled
    }

    /// Counts a fallback served in place of this dependency's answer (in
    /// addition to the failed call's own outcome).
    pub fn record_fallback(&self) {
        self.finish(Outcome::Fallback);
    }

    fn finish(&self, outcome: Outcome) {
        metrics::call(&self.name, outcome, 1);
        self.counters.outcome(outcome);
    }

    fn fail<E>(&self, kind: CallErrorKind<E>, attempts: u32, exhausted: bool) -> CallError<E> {
        let outcome = match &kind {
            CallErrorKind::Timeout => Outcome::Timeout,
            CallErrorKind::CircuitOpen => Outcome::RejectedCircuitOpen,
            CallErrorKind::BulkheadFull => Outcome::RejectedBulkhead,
            CallErrorKind::Inner(_) => Outcome::Failure,
        };
        self.finish(outcome);
        CallError {
            dependency: self.name.clone(),
            kind,
            attempts,
            retry_budget_exhausted: exhausted,
        }
    }

    /// `Ok(None)` when the breaker is off, `Err(())` when it refuses.
    fn admit(&self, policy: &Policy) -> Result<Option<BreakerPermit<'_>>, ()> {
        if !policy.breaker.enabled {
            return Ok(None);
        }
        self.breaker
            .try_acquire(&policy.breaker)
            .map(Some)
            .ok_or(())
    }

    /// Runs `f(attempt)` (attempt 0, 1, ...) through timeout, retries,
    /// breaker and bulkhead as the current policy says. Returns the first
    /// success, an error that is not a failure as it is, or the last error.
    ///
    /// Each call is counted once in `resilience_calls_total`: `success`
    /// (an error that is not a failure counts as success: the dependency
    /// answered), `failure` or `timeout` (the last attempt's), or a
    /// `rejected_*` when refused before the first attempt. If the breaker
    /// opens between attempts, the call ends with its last error. A call
    /// dropped before it ends is not counted, but frees its bulkhead slot
    /// and breaker trial. `f` must build a fresh request for every attempt,
    /// and should read the response body too, so the timeout covers it.
    pub async fn call<T, E, F, Fut>(&self, opts: CallOptions, mut f: F) -> Result<T, CallError<E>>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: Failure,
    {
        let policy = read(&self.policy).clone();
        let Some(_slot) = self.bulkhead.try_enter(&policy.bulkhead) else {
            return Err(self.fail(CallErrorKind::BulkheadFull, 0, false));
        };
        self.budget.deposit(&policy.retry);
        let Ok(mut permit) = self.admit(&policy) else {
            return Err(self.fail(CallErrorKind::CircuitOpen, 0, false));
        };
        let may_retry = policy.retry.enabled && opts.retryable;
        let mut attempts = 0u32;
        let mut exhausted = false;

        let last = loop {
            let Some(limit) = attempt_limit(&policy.timeout, opts.deadline) else {
                break CallErrorKind::Timeout; // the caller's deadline has passed
            };
            let fut = f(attempts);
            attempts += 1;
            let outcome = match limit.time {
                Some(d) => tokio::time::timeout(d, fut).await.ok(),
                None => Some(fut.await),
            };
            let failed = match outcome {
                Some(Ok(value)) => {
                    record(permit, &policy, false);
                    self.finish(Outcome::Success);
                    return Ok(value);
                }
                Some(Err(e)) if !e.is_failure() => {
                    record(permit, &policy, false);
                    self.finish(Outcome::Success);
                    let kind = CallErrorKind::Inner(e);
                    return Err(CallError {
                        dependency: self.name.clone(),
                        kind,
                        attempts,
                        retry_budget_exhausted: false,
                    });
                }
                Some(Err(e)) => {
                    record(permit, &policy, true);
                    CallErrorKind::Inner(e)
                }
                // Cut short by the caller's deadline, not by the dependency's
                // slowness as the policy defines it: the breaker is not told,
                // and there is no time left to retry.
                None if limit.by_deadline => break CallErrorKind::Timeout,
                None => {
                    record(permit, &policy, true);
                    CallErrorKind::Timeout
                }
            };

            if !may_retry || attempts >= policy.retry.max_attempts {
                break failed;
            }
            let delay = backoff_delay(&policy.retry, attempts - 1);
            let deadline = opts.deadline.filter(|_| policy.timeout.enabled);
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                break failed; // no time left for another attempt
            }
            if !self.budget.try_withdraw(&policy.retry) {
                tracing::debug!(dependency = %self.name, "retry budget exhausted, not retrying");
                exhausted = true;
                break failed;
            }
            metrics::retry(&self.name);
            self.counters.retry();
            tokio::time::sleep(delay).await;
            permit = match self.admit(&policy) {
                Ok(p) => p,
                Err(()) => break failed, // the breaker opened meanwhile
            };
        };
        Err(self.fail(last, attempts, exhausted))
    }
}

fn record(permit: Option<BreakerPermit<'_>>, policy: &Policy, failure: bool) {
    if let Some(p) = permit {
        p.record(&policy.breaker, failure);
    }
}
