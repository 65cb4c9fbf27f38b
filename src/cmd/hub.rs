//! `chaoslab hub`: the telemetry hub on its own listeners.

use chaoslab_hub::{Hub, HubConfig, Target};
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Arguments of `chaoslab hub`.
#[derive(Debug, Clone)]
pub struct HubArgs {
    pub api: SocketAddr,
    pub otlp_grpc: SocketAddr,
    pub otlp_http: SocketAddr,
    /// NAME=URL; a URL without a path gets `/metrics`.
    pub targets: Vec<(String, String)>,
    pub agent: Option<String>,
    pub span_budget: usize,
}

pub async fn run(args: HubArgs) -> anyhow::Result<()> {
    let cfg = HubConfig {
        span_budget: args.span_budget,
        agent_url: args.agent.clone(),
        ..HubConfig::default()
    };
    let hub = Hub::try_new(cfg)?;
    hub.set_targets(
        args.targets
            .iter()
            .map(|(name, url)| Target {
                name: name.clone(),
                url: metrics_url(url),
            })
            .collect(),
    );
    let api = TcpListener::bind(args.api)
        .await
        .map_err(|e| anyhow::anyhow!("hub API cannot listen on {}: {e}", args.api))?;
    let grpc = TcpListener::bind(args.otlp_grpc)
        .await
        .map_err(|e| anyhow::anyhow!("OTLP gRPC cannot listen on {}: {e}", args.otlp_grpc))?;
    let http = TcpListener::bind(args.otlp_http)
        .await
        .map_err(|e| anyhow::anyhow!("OTLP HTTP cannot listen on {}: {e}", args.otlp_http))?;
    eprintln!(
        "hub API on {}, OTLP gRPC on {}, OTLP HTTP on {}",
        args.api, args.otlp_grpc, args.otlp_http
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stop = move || {
        let mut rx = rx.clone();
        async move {
            let _ = rx.wait_for(|v| *v).await;
        }
    };
    let tasks = (
        tokio::spawn(chaoslab_hub::serve_api(api, hub.clone(), stop())),
        tokio::spawn(chaoslab_hub::serve_otlp_grpc(grpc, hub.clone(), stop())),
        tokio::spawn(chaoslab_hub::serve_otlp_http(http, hub.clone(), stop())),
        tokio::spawn(chaoslab_hub::run_scraper(hub.clone(), stop())),
    );
    super::shutdown().await;
    let _ = tx.send(true);
    // An idle OTLP connection (gRPC keeps them open) must not hold the hub:
    // graceful up to the kit's cap, then the runtime drops what is left.
    let all = async { tokio::join!(tasks.0, tasks.1, tasks.2, tasks.3) };
    if tokio::time::timeout(chaoslab_kit::serve::DRAIN_CAP, all)
        .await
        .is_err()
    {
        tracing::warn!("hub connections still open after shutdown: dropping them");
    }
    Ok(())
}

fn metrics_url(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let has_path = trimmed
        .split("://")
        .nth(1)
        .is_some_and(|rest| rest.contains('/'));
    if has_path {
        trimmed.to_string()
    } else {
        format!("{trimmed}/metrics")
    }
}
