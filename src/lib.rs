//! chaoslab: the lab's command line and its supervisor.
//!
//! - [`cli`]: argument parsing and dispatch to subcommands.
//! - [`lab`]: `chaoslab up`: ports, child processes, the state file, status.
//! - [`bench`]: `chaoslab bench`: measured numbers printed as tables.

pub mod bench;
pub mod cli;
pub mod cmd;
pub mod lab;
