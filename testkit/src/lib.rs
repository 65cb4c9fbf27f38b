//! chaoslab-testkit: what the lab's tests share.
//!
//! - [`eventually`]: wait for a condition with a deadline (never a bare
//!   sleep); [`holds_for`]: a condition that must keep holding.
//! - [`process`]: a child process's exit awaited with a deadline, and a
//!   stop that always ends it (SIGTERM, then SIGKILL).
//! - [`servers`]: real TCP servers on port 0 (an echo server, a server that
//!   sends a payload) for proxies to sit in front of.
//!
//! Every crate's tests use these; none keeps its own copy.

#![forbid(unsafe_code)]

pub mod process;
pub mod servers;
mod wait;

pub use servers::{echo_server, local_listener, sending_server, serve};
pub use wait::{Outcome, eventually, holds_for};
