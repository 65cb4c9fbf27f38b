//! Subcommands that run one component of the lab on its own: the hub, the
//! standalone chaos agent, `watch` (hub and dashboard for any OTLP sender),
//! and the generated deployments of a lab (`deploy`); the services run
//! through `chaoslab_shop::run`.

pub mod agent;
pub mod deploy;
pub mod fault;
pub mod hub;
pub mod lesson;
pub mod run;
pub mod watch;

/// Ctrl-C or SIGTERM, or the supervisor's death when supervised.
pub async fn shutdown() {
    chaoslab_kit::serve::shutdown_signal().await
}

/// Where the dashboard finds a lab: `--hub`, else the running lab's state.
pub fn tui_config(
    state_dir: &std::path::Path,
    hub: Option<String>,
) -> anyhow::Result<chaoslab_tui::TuiConfig> {
    match (hub, crate::lab::state::LabState::load(state_dir)) {
        (Some(hub_url), state) => Ok(chaoslab_tui::TuiConfig {
            hub_url,
            agent_url: state.as_ref().ok().and_then(|s| s.agent_url.clone()),
            loadgen_url: state.as_ref().ok().and_then(|s| s.loadgen_url.clone()),
            services: state.map(|s| s.service_urls()).unwrap_or_default(),
        }),
        (None, Ok(state)) => Ok(chaoslab_tui::TuiConfig {
            hub_url: state
                .hub_url
                .clone()
                .ok_or_else(|| anyhow::anyhow!("the running lab has no hub"))?,
            agent_url: state.agent_url.clone(),
            loadgen_url: state.loadgen_url.clone(),
            services: state.service_urls(),
        }),
        (None, Err(e)) => Err(e),
    }
}
