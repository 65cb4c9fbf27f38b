//! chaoslab-contract: what the lab's parts share, defined once.
//!
//! - [`lab`]: the lab model, read from a lab file (TOML): services (built-in,
//!   a command to supervise, or a URL already running), their dependencies
//!   (each through an agent proxy), ports, health and metrics paths, the load
//!   journeys and the resilience defaults. The supervisor, the runner, the
//!   dashboard checks and the services read it; nothing else names services.
//! - [`error`]: a file problem as `file:line:column: key: message`.
//! - [`process`]: what can be done to a supervised process.
//! - [`proxy`]: how a proxy handles its traffic (tcp or http).
//! - [`wire`]: the JSON bodies of the agent, hub, load generator and service
//!   admin APIs.
//! - [`client`]: one typed client for each of those APIs
//!   ([`client::AgentClient`], [`client::HubClient`], [`client::AdminClient`],
//!   [`client::LoadClient`]).
//! - [`fields`]: a struct's field names, read from its `Deserialize`.
//! - [`size`]: byte sizes (`256MB`) and the hub's smallest budgets.
//! - [`toxics`]: every toxic, one file each (name, attributes, rules, what it
//!   does to a connection's bytes and to an HTTP message), in one registry.
//!
//! ```text
//!  labs/shop.toml ──Lab::load──> Lab ──> supervisor (start, health-gate, proxies)
//!                                    ├──> hub targets (metrics paths)
//!                                    ├──> runner checks (targets, journeys)
//!                                    └──> load generator (journeys)
//!
//!  CLI, dashboard, runner, hub, tests ──client::*──HTTP──> agent, hub, load generator, services' /admin
//!                                     (bodies: wire::*, the servers' own types)
//! ```

#![forbid(unsafe_code)]

pub mod client;
pub mod error;
pub mod fields;
pub mod lab;
pub mod process;
pub mod proxy;
pub mod size;
pub mod toxics;
pub mod wire;

pub use error::FileError;
pub use lab::{
    Broker, Dependency, HubSettings, Journey, Lab, Load, Prepare, Resilience, Run, Service,
    ServiceResilience, SettingsPatch, Step, Template, TemplatePart, host_port,
};
pub use process::ProcessAction;
pub use proxy::ProxyMode;
