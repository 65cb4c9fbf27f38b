//! Waiting on a condition with a deadline.
//!
//! A check is an async closure whose output says whether the condition holds
//! yet: `bool`, `Option<T>` (the value is returned) or `Result<T, E>` (the
//! last error is quoted when the deadline passes). A synchronous condition is
//! passed as `|| std::future::ready(cond())`.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How often a check is retried.
const POLL: Duration = Duration::from_millis(10);

/// What a check answers: done with a value, or not yet (with why, if known).
pub trait Outcome {
    /// The value handed back once the condition holds.
    type Value;
    /// `Ok(value)` once it holds, `Err(why not)` before.
    fn settle(self) -> Result<Self::Value, Option<String>>;
}

impl Outcome for bool {
    type Value = ();
    fn settle(self) -> Result<(), Option<String>> {
        if self { Ok(()) } else { Err(None) }
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    fn settle(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T, E: Debug> Outcome for Result<T, E> {
    type Value = T;
    fn settle(self) -> Result<T, Option<String>> {
        self.map_err(|e| Some(format!("{e:?}")))
    }
}

/// Retries `check` until it holds and returns its value; panics naming
/// `what` (and the last error, if the check gave one) when `within` passes.
pub async fn eventually<F, Fut, O>(what: &str, within: Duration, mut check: F) -> O::Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = O>,
    O: Outcome,
{
    let deadline = Instant::now() + within;
    loop {
        let last = match check().await.settle() {
            Ok(value) => return value,
            Err(why) => why,
        };
        if Instant::now() >= deadline {
            match last {
                Some(why) => panic!("not within {within:?}: {what} (last: {why})"),
                None => panic!("not within {within:?}: {what}"),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Checks that `check` keeps holding for `span`; panics naming `what` the
/// first time it does not.
pub async fn holds_for<F, Fut>(what: &str, span: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = Instant::now() + span;
    while Instant::now() < end {
        assert!(check().await, "stopped holding: {what}");
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::ready;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn returns_the_value_once_the_condition_holds() {
        let n = Arc::new(AtomicU32::new(0));
        let got = eventually("three polls", Duration::from_secs(5), || {
            let k = n.fetch_add(1, Ordering::SeqCst);
            ready((k >= 3).then_some(k))
        })
        .await;
        assert_eq!(got, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "not within 30ms: never (last: \"refused\")")]
    async fn panics_with_what_and_the_last_error_at_the_deadline() {
        eventually("never", Duration::from_millis(30), || {
            ready(Err::<(), _>("refused"))
        })
        .await;
    }

    #[tokio::test]
    #[should_panic(expected = "stopped holding: stays below two")]
    async fn holds_for_notices_a_break() {
        let n = Arc::new(AtomicU32::new(0));
        holds_for("stays below two", Duration::from_secs(5), || {
            ready(n.fetch_add(1, Ordering::SeqCst) < 2)
        })
        .await;
    }
}
