//! The lab: `chaoslab up` reads a lab file (the shop's by default), starts
//! every service it runs as its own OS process beside the hub and the load
//! generator, hosts the chaos agent, and writes a state file that the other
//! subcommands read.
//!
//! ```text
//!  labs/shop.toml ──> chaoslab up (supervisor + chaos agent, a proxy per callee)
//!                        ├── chaoslab service NAME --lab FILE   (built-in services)
//!                        ├── a lab file's commands               (any program)
//!                        ├── chaoslab hub   (OTLP in, scrapes each metrics path, query API)
//!                        └── chaoslab load  (the lab's journeys on its entry service)
//! ```
//!
//! - [`children`]: what is started for each service of the lab file.
//! - [`prepare`]: set-up steps: venvs and `npm ci` from lock files.
//! - [`ports`]: default ports, and free ones when those are taken.
//! - [`state`]: the state file (`.chaoslab/lab.json`) and Prometheus targets.
//! - [`pause_guard`]: the process that ends a pause even if the supervisor died.
//! - [`supervisor`]: spawning, health-gating, restarting and stopping children.
//! - [`up`]: the whole start-up and shut-down sequence.
//! - [`status`]: `chaoslab status`.

pub mod agent_host;
pub mod children;
pub mod pause_guard;
pub mod ports;
pub mod prepare;
pub mod run;
pub mod state;
pub mod status;
pub mod supervisor;
pub mod up;
