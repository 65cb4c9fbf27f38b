//! What a user of the kit notices, one mechanism at a time: calls that time
//! out, retry, get refused by an open breaker or a full bulkhead, policies
//! that change while running, and the metrics that show it all.
//!
//! Most tests run on tokio's paused clock, so "a 10 s slow dependency" takes
//! no real time and durations are exact; `timeout::real_clock_*` and
//! `bulkhead::cancelled_calls_*` run on the real clock.

mod breaker;
mod bulkhead;
mod metrics;
mod policy;
mod retry;
mod runtime;
mod support;
mod timeout;
