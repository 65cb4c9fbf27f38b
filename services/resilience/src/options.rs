//! What the caller says about one call, and how long each attempt may take:
//! the policy's per-attempt timeout, shortened to what is left of the
//! caller's deadline (deadline propagation).

use std::time::Duration;

use tokio::time::Instant;

use crate::policy::TimeoutPolicy;

/// What the caller knows about one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// The call may be repeated safely: it is idempotent (GET) or carries an
    /// `Idempotency-Key`. Calls that are not retryable are tried once.
    pub retryable: bool,
    /// The caller's own deadline: no attempt runs past it (when the timeout
    /// mechanism is enabled).
    pub deadline: Option<Instant>,
}

impl CallOptions {
    /// A call that may be retried.
    pub fn retryable() -> Self {
        Self {
            retryable: true,
            deadline: None,
        }
    }

    /// A call that must be tried at most once.
    pub fn once() -> Self {
        Self {
            retryable: false,
            deadline: None,
        }
    }

    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }
}

/// How long the next attempt may take.
pub(crate) struct Limit {
    /// `None`: no limit (the timeout mechanism is off).
    pub(crate) time: Option<Duration>,
    /// The caller's deadline, not the policy timeout, sets the limit.
    pub(crate) by_deadline: bool,
}

/// The attempt's limit, or `None` when the caller's deadline has passed.
pub(crate) fn attempt_limit(timeout: &TimeoutPolicy, deadline: Option<Instant>) -> Option<Limit> {
    if !timeout.enabled {
        return Some(Limit {
            time: None,
            by_deadline: false,
        });
    }
    let per_attempt = Duration::from_millis(timeout.per_attempt_ms);
    match deadline {
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let by_deadline = left < per_attempt;
            Some(Limit {
                time: Some(left.min(per_attempt)),
                by_deadline,
            })
        }
        None => Some(Limit {
            time: Some(per_attempt),
            by_deadline: false,
        }),
    }
}
