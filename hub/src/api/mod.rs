//! The hub's JSON query API: the types it speaks ([`types`]) and, later,
//! the axum router that serves them.

pub mod types;
