//! The agent's configuration: plain fields, checked where they are used.

use metrics_exporter_prometheus::PrometheusHandle;

/// How the agent runs.
#[derive(Clone, Default)]
pub struct AgentConfig {
    /// Seed for every random draw (toxicity, jitter, HTTP fault percentages):
    /// the same seed and the same sequence of connections give the same faults.
    /// `None` picks a random seed.
    pub seed: Option<u64>,
    /// Bearer token required for every change (any method but GET/HEAD).
    /// Required when the API listens beyond loopback.
    pub token: Option<String>,
    /// Renders `/metrics`. The process that embeds the agent owns the global
    /// recorder; pass its handle here (or see [`crate::install_recorder`]).
    pub metrics: Option<PrometheusHandle>,
}

impl std::fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConfig")
            .field("seed", &self.seed)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("metrics", &self.metrics.is_some())
            .finish()
    }
}
