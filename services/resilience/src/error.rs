//! What a call through the kit can end in, and how callers classify errors.

use std::fmt;
use std::sync::Arc;

use crate::metrics::Outcome;

/// Says whether an error of the wrapped operation means the dependency is
/// unwell: such errors count against the circuit breaker and may be retried.
/// Errors that are the caller's own fault (an HTTP 4xx answer) are not
/// failures: they are returned as they are, never retried, and count as a
/// healthy answer.
pub trait Failure {
    fn is_failure(&self) -> bool;
}

impl Failure for std::io::Error {
    fn is_failure(&self) -> bool {
        true
    }
}

/// Why a call did not produce a value.
#[derive(Debug)]
pub enum CallErrorKind<E> {
    /// The last attempt ran out of time (policy timeout or caller's deadline).
    Timeout,
    /// The circuit breaker refused the call without trying.
    CircuitOpen,
    /// Too many calls in flight; refused without trying.
    BulkheadFull,
    /// The operation's own error, from the last attempt.
    Inner(E),
}

/// A failed call: what went wrong, to whom, after how many attempts.
#[derive(Debug)]
pub struct CallError<E> {
    /// The dependency's name, e.g. `payments`.
    pub dependency: Arc<str>,
    pub kind: CallErrorKind<E>,
    /// Attempts actually made (0 when the call was refused or the deadline
    /// had passed before the first one).
    pub attempts: u32,
    /// A retry was wanted but the retry budget refused it.
    pub retry_budget_exhausted: bool,
}

impl<E> CallError<E> {
    /// `true` when the kit refused the call without reaching the dependency.
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.kind,
            CallErrorKind::CircuitOpen | CallErrorKind::BulkheadFull
        )
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, CallErrorKind::Timeout)
    }

    /// The operation's own error, if that is what ended the call.
    pub fn inner(&self) -> Option<&E> {
        match &self.kind {
            CallErrorKind::Inner(e) => Some(e),
            _ => None,
        }
    }

    pub fn into_inner(self) -> Option<E> {
        match self.kind {
            CallErrorKind::Inner(e) => Some(e),
            _ => None,
        }
    }

    /// The `outcome` label this call was counted under. An inner error that
    /// is not a failure (a 4xx) was counted as `success`.
    pub fn outcome(&self) -> Outcome
    where
        E: Failure,
    {
        match &self.kind {
            CallErrorKind::Timeout => Outcome::Timeout,
            CallErrorKind::CircuitOpen => Outcome::RejectedCircuitOpen,
            CallErrorKind::BulkheadFull => Outcome::RejectedBulkhead,
            CallErrorKind::Inner(e) if e.is_failure() => Outcome::Failure,
            CallErrorKind::Inner(_) => Outcome::Success,
        }
    }
}

impl<E: fmt::Display> fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dep = &self.dependency;
        match &self.kind {
            CallErrorKind::Timeout if self.attempts == 0 => {
                write!(f, "{dep}: deadline passed before the call could start")?
            }
            CallErrorKind::Timeout => write!(f, "{dep}: timed out")?,
            CallErrorKind::CircuitOpen => write!(f, "{dep}: circuit open")?,
            CallErrorKind::BulkheadFull => write!(f, "{dep}: too many calls in flight")?,
            CallErrorKind::Inner(e) => write!(f, "{dep}: {e}")?,
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        if self.retry_budget_exhausted {
            write!(f, " (retry budget exhausted)")?;
        }
        Ok(())
    }
}

impl<E: std::error::Error + 'static> std::error::Error for CallError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CallErrorKind::Inner(e) => Some(e),
            _ => None,
        }
    }
}
