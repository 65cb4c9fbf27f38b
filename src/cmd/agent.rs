//! `chaoslab agent`: the chaos agent on its own (as in docker-compose), with
//! proxies created from a Toxiproxy-style populate file.

use chaoslab_chaos::{Agent, AgentConfig, ProxySpec};
use std::{net::SocketAddr, path::PathBuf};

#[derive(Debug, Clone)]
pub struct AgentArgs {
    pub listen: SocketAddr,
    pub populate: Option<PathBuf>,
    pub seed: Option<u64>,
    pub token: Option<String>,
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() && args.token.is_none() {
        anyhow::bail!(
            "the agent API listens beyond loopback on {}: set a token with --token or CHAOSLAB_AGENT_TOKEN",
            args.listen
        );
    }
    let telemetry = chaoslab_kit::telemetry::init(
        &chaoslab_kit::telemetry::TelemetryOptions::from_env("agent"),
    )?;
    let agent = Agent::new(
        AgentConfig {
            seed: args.seed,
            token: args.token,
            metrics: Some(telemetry.metrics()),
        },
        None,
    );
    if let Some(path) = &args.populate {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let specs: Vec<ProxySpec> = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
        for spec in specs {
            let name = spec.name.clone();
            agent
                .create_proxy(spec)
                .await
                .map_err(|e| anyhow::anyhow!("{}: proxy {name}: {e}", path.display()))?;
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    eprintln!("chaos agent API on {}", listener.local_addr()?);
    chaoslab_chaos::serve(listener, agent, super::shutdown()).await?;
    let _ = tokio::time::timeout(chaoslab_kit::serve::FLUSH_CAP, telemetry.shutdown()).await;
    Ok(())
}
