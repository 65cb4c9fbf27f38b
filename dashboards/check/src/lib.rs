//! Checks the lab's Grafana dashboards, Prometheus rules and compose file
//! against what the lab emits.
//!
//! - [`static_check`]: no running lab needed. Panel ids, schema version,
//!   data source uids, and every query (panels, template variables,
//!   annotations, rules) parsed as PromQL and held against the contract's
//!   metric names ([`known`]).
//! - [`compose`]: the compose file parses and what it builds or mounts exists.
//! - [`live`]: against a Prometheus that scrapes a running lab, every query
//!   returns at least one series and the rules are healthy.
//!
//! [`report`] prints both for people.

pub mod compose;
pub mod dashboard;
pub mod error;
pub mod known;
pub mod layout;
pub mod live;
pub mod prom_api;
pub mod promql;
pub mod provisioning;
pub mod queries;
pub mod report;
pub mod rules;
pub mod static_check;

pub use error::CheckError;
pub use layout::Layout;
pub use live::{LiveOptions, LiveReport};
pub use static_check::{Finding, StaticReport};

#[cfg(test)]
mod tests;
