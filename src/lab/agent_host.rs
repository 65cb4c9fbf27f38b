//! The chaos agent, hosted inside the supervisor process so process faults
//! reach the supervisor directly. This file is the bridge: it implements the
//! agent's [`LabControl`] over the [`Supervisor`].

use super::{ports, supervisor::Supervisor};
use chaoslab_chaos::{Agent, AgentConfig, LabControl, ProcessAction, ProxyMode, ProxySpec};
use std::{collections::BTreeMap, sync::Arc};
use tokio::sync::oneshot;

struct Control {
    supervisor: Arc<Supervisor>,
    /// Each service's base URL (its admin API is under it).
    services: BTreeMap<String, String>,
    /// The services whose processes the supervisor runs.
    supervised: Vec<String>,
}

impl Control {
    fn supervised(&self, service: &str) -> Result<(), String> {
        if self.supervised.iter().any(|s| s == service) {
            return Ok(());
        }
        if self.services.contains_key(service) {
            return Err(format!(
                "{service} is not started by the lab (a `url` service): process faults cannot reach it"
            ));
        }
        Err(format!("no service named {service:?}"))
    }
}

impl LabControl for Control {
    fn services(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }

    fn process(&self, service: &str, action: ProcessAction) -> Result<(), String> {
        self.supervised(service)?;
        if action == ProcessAction::Stop {
            return Err("a stop needs a duration (stop_for)".to_string());
        }
        self.supervisor.act(service, action)
    }

    fn stop_for(&self, service: &str, duration: std::time::Duration) -> Result<(), String> {
        self.supervised(service)?;
        // The supervisor keeps the deadline itself, so the outage ends on time
        // even if the agent is gone.
        self.supervisor
            .stop_until(service, tokio::time::Instant::now() + duration)
    }

    fn pause_for(&self, service: &str, duration: std::time::Duration) -> Result<(), String> {
        self.supervised(service)?;
        // A guard process resumes it on time, even if this process dies.
        self.supervisor.pause_for(service, duration)
    }

    fn admin_url(&self, service: &str) -> Option<String> {
        self.services.get(service).cloned()
    }
}

/// A running agent and the way to stop it.
pub struct AgentHost {
    agent: Arc<Agent>,
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts the agent's API on 127.0.0.1:`port`; `services` maps each
/// service to its base URL, `supervised` lists those the supervisor runs.
pub async fn start(
    port: u16,
    supervisor: Arc<Supervisor>,
    services: BTreeMap<String, String>,
    supervised: Vec<String>,
    seed: Option<u64>,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
) -> anyhow::Result<AgentHost> {
    let control = Control {
        supervisor,
        services,
        supervised,
    };
    let agent = Agent::new(
        AgentConfig {
            seed,
            token: None,
            metrics: Some(metrics),
        },
        Some(Arc::new(control)),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let url = ports::url(listener.local_addr()?.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(chaoslab_chaos::serve(listener, agent.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(AgentHost {
        agent,
        url,
        stop,
        task,
    })
}

impl AgentHost {
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Creates the proxy `name` on `listen` in front of `upstream`
    /// (`host:port`); returns its URL.
    pub async fn add_proxy(
        &self,
        name: &str,
        listen: u16,
        upstream: String,
        mode: ProxyMode,
    ) -> anyhow::Result<String> {
        let view = self
            .agent
            .create_proxy(ProxySpec {
                name: name.to_string(),
                listen: format!("127.0.0.1:{listen}"),
                upstream,
                enabled: Some(true),
                mode: Some(mode),
            })
            .await
            .map_err(|e| anyhow::anyhow!("cannot create proxy {name}: {e}"))?;
        Ok(format!("http://{}", view.listen))
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
