//! `chaoslab hub`: the telemetry hub on its own listeners. [`serve`] is
//! shared with `chaoslab watch`.

use chaoslab_hub::{Hub, HubConfig, Target};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The hub's store limits, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub span_budget: usize,
    pub trace_bytes: usize,
    pub log_bytes: usize,
    pub attr_value_max: usize,
}

/// Arguments of `chaoslab hub`.
#[derive(Debug, Clone)]
pub struct HubArgs {
    pub api: SocketAddr,
    pub otlp_grpc: SocketAddr,
    pub otlp_http: SocketAddr,
    /// NAME=URL; a URL without a path gets `/metrics`.
    pub targets: Vec<(String, String)>,
    pub agent: Option<String>,
    pub limits: Limits,
}

/// The hub's three listeners, already bound.
#[derive(Debug)]
pub struct Listeners {
    pub api: TcpListener,
    pub grpc: TcpListener,
    pub http: TcpListener,
}

impl Listeners {
    /// The line that says where the hub listens.
    pub fn describe(&self) -> String {
        let a = |l: &TcpListener| {
            l.local_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "?".into())
        };
        format!(
            "hub API on http://{}, OTLP gRPC on {}, OTLP HTTP on http://{}",
            a(&self.api),
            a(&self.grpc),
            a(&self.http)
        )
    }
}

/// A hub configured from the command line, with its scrape targets set.
pub fn build(
    targets: &[(String, String)],
    agent: Option<String>,
    limits: Limits,
) -> anyhow::Result<Arc<Hub>> {
    let cfg = HubConfig {
        span_budget: limits.span_budget,
        trace_bytes: limits.trace_bytes,
        log_bytes: limits.log_bytes,
        attr_value_max: limits.attr_value_max,
        agent_url: agent,
        ..HubConfig::default()
    };
    let hub = Hub::try_new(cfg)?;
    hub.set_targets(
        targets
            .iter()
            .map(|(name, url)| Target {
                name: name.clone(),
                url: metrics_url(url),
            })
            .collect(),
    );
    Ok(hub)
}

/// Serves the API, both OTLP receivers and the scraper until `stop`
/// completes.
pub async fn serve(
    hub: Arc<Hub>,
    l: Listeners,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = rx.clone();
        async move {
            let _ = rx.wait_for(|v| *v).await;
        }
    };
    let tasks = (
        tokio::spawn(chaoslab_hub::serve_api(l.api, hub.clone(), stopped())),
        tokio::spawn(chaoslab_hub::serve_otlp_grpc(
            l.grpc,
            hub.clone(),
            stopped(),
        )),
        tokio::spawn(chaoslab_hub::serve_otlp_http(
            l.http,
            hub.clone(),
            stopped(),
        )),
        tokio::spawn(chaoslab_hub::run_scraper(hub.clone(), stopped())),
    );
    stop.await;
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

pub async fn run(args: HubArgs) -> anyhow::Result<()> {
    let hub = build(&args.targets, args.agent.clone(), args.limits)?;
    let bind = |addr: SocketAddr, what: &'static str| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("{what} cannot listen on {addr}: {e}"))
    };
    let l = Listeners {
        api: bind(args.api, "hub API").await?,
        grpc: bind(args.otlp_grpc, "OTLP gRPC").await?,
        http: bind(args.otlp_http, "OTLP HTTP").await?,
    };
    eprintln!("{}", l.describe());
    serve(hub, l, super::shutdown()).await
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
