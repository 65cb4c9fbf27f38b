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
//! - [`toxics`]: every toxic, one file each (name, attributes, rules, what it
//!   does to a connection's bytes and to an HTTP message), in one registry.
//!
//! ```text
//!  labs/shop.toml ──Lab::load──> Lab ──> supervisor (start, health-gate, proxies)
//!                                    ├──> hub targets (metrics paths)
//!                                    ├──> runner checks (targets, journeys)
//!                                    └──> load generator (journeys)
//! ```

#![forbid(unsafe_code)]

pub mod error;
pub mod lab;
pub mod process;
pub mod proxy;
pub mod toxics;

pub use error::FileError;
pub use lab::{
    Dependency, Journey, Lab, Load, Prepare, Resilience, Run, Service, ServiceResilience,
    SettingsPatch, Step, Template, TemplatePart,
};
pub use process::ProcessAction;
pub use proxy::ProxyMode;
