//! Helpers shared by the behaviour tests: an error type with 5xx/4xx-like
//! variants, policies with only the mechanism under test switched on, and
//! an `eventually` wait.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chaoslab_resilience::{Failure, Policy};

/// An operation's error: `Server` is the dependency's fault, `Client` ours.
#[derive(Debug, Clone, PartialEq)]
pub enum TestError {
    Server,
    Client,
}

impl Failure for TestError {
    fn is_failure(&self) -> bool {
        matches!(self, TestError::Server)
    }
}

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestError::Server => write!(f, "HTTP 503 from the dependency"),
            TestError::Client => write!(f, "HTTP 404 from the dependency"),
        }
    }
}

/// A policy with every mechanism off; tests switch on what they examine.
pub fn all_off() -> Policy {
    let mut p = Policy::default();
    p.timeout.enabled = false;
    p.retry.enabled = false;
    p.breaker.enabled = false;
    p.bulkhead.enabled = false;
    p
}

/// Counts how often an operation was started.
#[derive(Clone, Default)]
pub struct Counter(Arc<AtomicU32>);

impl Counter {
    pub fn bump(&self) -> u32 {
        self.0.fetch_add(1, Ordering::SeqCst)
    }
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

#[allow(unused_imports)]
pub use chaoslab_testkit::eventually;
