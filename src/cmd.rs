//! Subcommands that run one component of the lab on its own: the hub and
//! the standalone chaos agent (the services run through `chaoslab_shop::run`).

pub mod agent;
pub mod hub;

/// Ctrl-C or SIGTERM, or the supervisor's death when supervised.
pub async fn shutdown() {
    chaoslab_kit::serve::shutdown_signal().await
}
