//! Serving the agent's API on an already-bound listener, and the metrics
//! recorder helper for a standalone agent.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::agent::Agent;

/// Serve the API until `shutdown` completes. Refuses to serve beyond loopback
/// without a token, since the API can stop any proxy.
pub async fn serve(
    listener: tokio::net::TcpListener,
    agent: Arc<Agent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() && agent.config().token.is_none() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the agent API listens on {addr}, beyond loopback: set a token"),
        ));
    }
    // Graceful for open API requests up to the kit's cap, then dropped.
    let (shutdown, cap) = chaoslab_kit::serve::capped(shutdown);
    let server = axum::serve(listener, agent.router())
        .with_graceful_shutdown(shutdown)
        .into_future();
    tokio::select! {
        r = server => r,
        _ = cap => Ok(()),
    }
}

/// Install a global Prometheus recorder once per process and return its
/// handle (for a standalone agent and for tests; an embedding process that
/// installs its own recorder passes that handle in [`crate::AgentConfig`]).
pub fn install_recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed; then ours only renders nothing new.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
