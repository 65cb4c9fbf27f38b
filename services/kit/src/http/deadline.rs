//! Request deadlines, carried between services.
//!
//! The gateway gives each public request a deadline. When propagation is on,
//! every outgoing call sends the time left in `x-request-deadline-ms` and the
//! callee adopts it, so an inner service stops working on a request its caller
//! has already given up on. With propagation off, each hop only knows its own
//! timeouts: the lab's lesson on inner timeouts longer than outer ones.

use std::time::Duration;
use tokio::time::Instant;

/// The header that carries the milliseconds left.
pub const HEADER: &str = "x-request-deadline-ms";

tokio::task_local! {
    static DEADLINE: Option<Instant>;
}

/// Runs `fut` with `deadline` as the current request's deadline.
pub async fn scope<F: Future>(deadline: Option<Instant>, fut: F) -> F::Output {
    DEADLINE.scope(deadline, fut).await
}

/// The current request's deadline, if one is known.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok().flatten()
}

/// Parses the header value into a deadline measured from now.
pub fn from_header(value: Option<&http::HeaderValue>) -> Option<Instant> {
    let ms: u64 = value?.to_str().ok()?.trim().parse().ok()?;
    Instant::now().checked_add(Duration::from_millis(ms))
}

/// Milliseconds left until `deadline` (0 when passed).
pub fn remaining_ms(deadline: Instant) -> u64 {
    deadline
        .saturating_duration_since(Instant::now())
        .as_millis() as u64
}
