//! The chaos agent: a Toxiproxy-compatible TCP proxy with toxics, plus HTTP,
//! process and in-service faults under `/chaos`, all with optional durations.
//!
//! Layout:
//! - [`agent`]: the [`Agent`], its proxies and faults, and its operations.
//! - [`api`]: the HTTP control API (Toxiproxy's, plus `/chaos/...`).
//! - [`proxy`]: listeners, connections, and the per-direction link that applies toxics.
//! - [`toxics`]: one file per toxic behind the [`toxics::Toxic`] trait, and
//!   their registry (from `chaoslab-contract`); [`proxy::runner`] runs a chain
//!   of them for both data paths.
//! - [`http`]: the http-mode proxy (HTTP faults, trace continuation).
//! - [`faults`]: HTTP fault specs, delay distributions, request matching, process faults.
//! The wire types are the contract's (`chaoslab_contract::wire`), and its
//! `client::AgentClient` is the one client of this API.
//! - [`bench`]: the proxy's cost against a direct connection, and toxic accuracy.

pub mod agent;
pub mod api;
pub mod bench;
pub mod config;
pub mod control;
pub mod error;
pub mod faults;
pub mod http;
pub mod proxy;
pub mod serve;
pub mod timer;
pub mod views;

/// The toxics, one file each, and their registry (defined in the contract
/// crate, which the dashboard and the runner read too).
pub use chaoslab_contract::toxics;

pub use agent::{ActiveFault, Agent, FaultSource};
pub use config::AgentConfig;
pub use control::{LabControl, ProcessAction};
pub use error::ApiError;
pub use serve::{install_recorder, serve};
pub use views::{ProxyMode, ProxyPatch, ProxySpec, ProxyView, ToxicPatch, ToxicSpec, ToxicView};
