//! The resilience kit every service-to-service call in the shop goes through.
//!
//! Each callee of a service is a [`Dependency`] with its own [`Policy`]:
//! a per-attempt timeout shortened by the caller's deadline, retries with
//! full-jitter backoff under a retry budget, a circuit breaker, a bulkhead,
//! and a fallback switch. Every mechanism can be switched off or retuned at
//! runtime ([`Dependency::set_policy`], [`Dependency::update`] with a
//! [`PolicyPatch`]), which is how the lab's lessons show what each one is for.
//! Live state ([`DependencyStatus`]) and the `resilience_*` metrics show what
//! the mechanisms are doing.
//!
//! ```text
//! policy.rs      Policy and its parts, defaults, validation
//! patch.rs       PolicyPatch: partial updates for PUT /admin/resilience
//! dependency.rs  Dependency::call: bulkhead -> breaker -> timeout -> retry
//! options.rs     CallOptions (retryable, deadline) and each attempt's time limit
//! breaker.rs     count-window circuit breaker with half-open trials
//! bulkhead.rs    max concurrent calls, no queue
//! retry.rs       full-jitter backoff and the retry budget
//! error.rs       CallError, and the Failure trait that classifies errors
//! status.rs      DependencyStatus and running totals
//! registry.rs    Registry: one service's dependencies by name
//! metrics.rs     the resilience_* metrics
//! bench.rs       what the kit adds to a call, as a table
//! ```
//!
//! # Use
//!
//! ```
//! use chaoslab_resilience::{CallOptions, Dependency, Failure, Policy};
//!
//! /// The caller's error type says which errors mean "the callee is unwell".
//! #[derive(Debug)]
//! enum HttpError { Status(u16), Transport }
//! impl Failure for HttpError {
//!     fn is_failure(&self) -> bool {
//!         !matches!(self, HttpError::Status(s) if *s < 500)
//!     }
//! }
//! impl std::fmt::Display for HttpError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         write!(f, "{self:?}")
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let payments = Dependency::new("payments", Policy::default());
//! let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
//! let opts = CallOptions::retryable().with_deadline(deadline);
//! let charged = payments
//!     .call(opts, |attempt| async move {
//!         // Build and send the request here, fresh for every attempt.
//!         if attempt == 0 { Err(HttpError::Transport) } else { Ok("charged") }
//!     })
//!     .await;
//! assert_eq!(charged.unwrap(), "charged");
//! # }
//! ```
//!
//! ```toml
//! # A service's config: only what differs from the defaults.
//! [resilience.payments.timeout]
//! per_attempt_ms = 800
//! [resilience.payments.retry]
//! max_attempts = 2
//! ```
//!
//! # Why hand-written
//!
//! Three crates were weighed. `tower-resilience` (0.13) has every mechanism,
//! but as tower layers configured once by builders: a policy cannot be
//! replaced while running, the breaker's state is not readable, and its
//! metrics carry its own names (`circuitbreaker_calls_total{circuitbreaker}`),
//! not the lab's; it has also broken its API every few weeks. `failsafe`
//! (1.3) is a breaker only, fixed at construction, with no count window of
//! `N` calls, no limit of `K` half-open trials and no way to read the state
//! except through callbacks. `backon` (1.6) is retries only; its jitter adds
//! `rand(0, delay)` on top of the delay (not full jitter) and it has no retry
//! budget. Adapting any of them would take more code than the mechanisms
//! themselves, which are small here and are the lab's subject, so they are
//! written out plainly, on tokio's clock (tests can pause time).

#![forbid(unsafe_code)]

mod bench;
mod breaker;
mod bulkhead;
mod dependency;
mod error;
mod metrics;
mod options;
mod patch;
mod policy;
mod registry;
mod retry;
mod status;
mod sync;

pub use bench::{BenchReport, BenchRow, bench};
pub use breaker::{BreakerState, BreakerStatus};
pub use dependency::Dependency;
pub use error::{CallError, CallErrorKind, Failure};
pub use metrics::{Outcome, names};
pub use options::CallOptions;
pub use patch::{
    BreakerPatch, BulkheadPatch, FallbackPatch, PolicyPatch, RetryPatch, TimeoutPatch,
};
pub use policy::{
    BreakerPolicy, BulkheadPolicy, FallbackPolicy, Policy, PolicyError, RetryPolicy, TimeoutPolicy,
};
pub use registry::{Registry, RegistryError};
pub use retry::{BudgetStatus, backoff_cap, backoff_delay};
pub use status::{DependencyStatus, Totals};
