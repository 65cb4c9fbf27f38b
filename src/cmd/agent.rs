//! `chaoslab agent`: the chaos agent on its own (as in docker-compose and on
//! Kubernetes), with proxies created from a Toxiproxy-style populate file;
//! with `--kubernetes`, process faults act on the services' Deployments.

use chaoslab_chaos::{Agent, AgentConfig, LabControl, ProxySpec};
use chaoslab_deploy::control::KubeControl;
use std::{net::SocketAddr, path::PathBuf, sync::Arc};

#[derive(Debug, Clone)]
pub struct AgentArgs {
    pub listen: SocketAddr,
    pub populate: Option<PathBuf>,
    pub seed: Option<u64>,
    pub token: Option<String>,
    /// Process faults through the Kubernetes API.
    pub kubernetes: Option<Kubernetes>,
}

/// Where the agent finds the lab's services on Kubernetes.
#[derive(Debug, Clone)]
pub struct Kubernetes {
    pub namespace: Option<String>,
    /// Service name -> admin base URL.
    pub services: std::collections::BTreeMap<String, String>,
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
    let control: Option<Arc<dyn LabControl>> = match args.kubernetes {
        None => None,
        Some(k) => {
            let control = Arc::new(
                KubeControl::connect(k.namespace, k.services)
                    .await
                    .map_err(|e| anyhow::anyhow!("--kubernetes: {e}"))?
                    .with_admin_token(
                        std::env::var("CHAOSLAB_ADMIN_TOKEN")
                            .ok()
                            .filter(|t| !t.is_empty()),
                    ),
            );
            eprintln!(
                "process faults through the Kubernetes API, namespace {}",
                control.namespace()
            );
            // Ends the outages whose time is up, now and on every tick: the
            // end of a stop is kept on the Deployment, not in this process.
            tokio::spawn(
                control
                    .clone()
                    .run_controller(chaoslab_deploy::control::TICK),
            );
            Some(control)
        }
    };
    let agent = Agent::new(
        AgentConfig {
            seed: args.seed,
            token: args.token,
            metrics: Some(telemetry.metrics()),
        },
        control,
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
