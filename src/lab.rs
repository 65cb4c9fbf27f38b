//! The embedded lab: `chaoslab up` starts every service as its own OS
//! process beside the hub and the load generator, hosts the chaos agent, and
//! writes a state file that the other subcommands read.
//!
//! ```text
//!  chaoslab up (supervisor + chaos agent)
//!     ├── chaoslab service users|inventory|payments|catalog|orders|gateway
//!     ├── chaoslab hub        (OTLP in, scrapes /metrics, query API)
//!     └── chaoslab load       (open-model load on the gateway)
//! ```
//!
//! - [`ports`]: default ports, and free ones when those are taken.
//! - [`state`]: the state file (`.chaoslab/lab.json`) and Prometheus targets.
//! - [`pause_guard`]: the process that ends a pause even if the supervisor died.
//! - [`supervisor`]: spawning, health-gating, restarting and stopping children.
//! - [`up`]: the whole start-up and shut-down sequence.
//! - [`status`]: `chaoslab status`.

pub mod agent_host;
pub mod pause_guard;
pub mod ports;
pub mod run;
pub mod state;
pub mod status;
pub mod supervisor;
pub mod up;
