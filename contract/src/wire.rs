//! The wire: every JSON body the lab's HTTP APIs take and answer, defined
//! once. The servers serialize these types and the clients in
//! [`crate::client`] read them.
//!
//! - [`agent`]: proxies and toxics (Toxiproxy's API, byte-compatible).
//! - [`faults`]: the agent's `/chaos` faults (timed toxics, a proxy down,
//!   process faults) and the list of every active fault.
//! - [`http_fault`] (with [`delay`], [`matcher`]): HTTP faults and their rules.
//! - [`service_fault`]: in-service fault kinds and their rules.
//! - [`admin`]: a service's admin API (resilience, settings, faults).
//! - [`hub`]: the hub's query API.
//! - [`experiment`]: the running experiment's view the hub keeps.
//! - [`load`]: the load generator's control API (`/load`).

pub mod admin;
pub mod agent;
pub mod delay;
pub mod experiment;
pub mod faults;
pub mod http_fault;
pub mod hub;
pub mod load;
pub mod matcher;
pub mod service_fault;
