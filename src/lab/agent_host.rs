//! The chaos agent, hosted inside the supervisor process so process faults
//! reach the supervisor directly. This file is the bridge: it implements the
//! agent's [`LabControl`] over the [`Supervisor`].

use super::{
    ports,
    supervisor::{Action, Supervisor},
};
use chaoslab_chaos::{Agent, AgentConfig, LabControl, ProcessAction, ProxyMode, ProxySpec};
use std::{collections::BTreeMap, sync::Arc};
use tokio::sync::oneshot;

struct Control {
    supervisor: Arc<Supervisor>,
    service_ports: BTreeMap<String, u16>,
}

impl LabControl for Control {
    fn services(&self) -> Vec<String> {
        self.service_ports.keys().cloned().collect()
    }

    fn process(&self, service: &str, action: ProcessAction) -> Result<(), String> {
        if !self.service_ports.contains_key(service) {
            return Err(format!("no service named {service:?}"));
        }
        let action = match action {
            ProcessAction::Kill => Action::Kill,
            ProcessAction::Terminate => Action::Terminate,
            ProcessAction::Pause => Action::Pause,
            ProcessAction::Resume => Action::Resume,
            ProcessAction::Restart => Action::Restart,
            ProcessAction::Start => Action::Start,
            ProcessAction::Stop => return Err("a stop needs a duration (stop_for)".to_string()),
        };
        self.supervisor.act(service, action)
    }

    fn stop_for(&self, service: &str, duration: std::time::Duration) -> Result<(), String> {
        if !self.service_ports.contains_key(service) {
            return Err(format!("no service named {service:?}"));
        }
        // The supervisor keeps the deadline itself, so the outage ends on time
        // even if the agent is gone.
        self.supervisor.act(
            service,
            Action::StopUntil(tokio::time::Instant::now() + duration),
        )
    }

    fn pause_for(&self, service: &str, duration: std::time::Duration) -> Result<(), String> {
        if !self.service_ports.contains_key(service) {
            return Err(format!("no service named {service:?}"));
        }
        // A guard process resumes it on time, even if this process dies.
        self.supervisor.act(service, Action::PauseFor(duration))
    }

    fn admin_url(&self, service: &str) -> Option<String> {
        self.service_ports.get(service).map(|p| ports::url(*p))
    }
}

/// A running agent and the way to stop it.
pub struct AgentHost {
    agent: Arc<Agent>,
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts the agent's API on 127.0.0.1:`port`.
pub async fn start(
    port: u16,
    supervisor: Arc<Supervisor>,
    service_ports: BTreeMap<&str, u16>,
    seed: Option<u64>,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
) -> anyhow::Result<AgentHost> {
    let control = Control {
        supervisor,
        service_ports: service_ports
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
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

    /// Creates the http-mode proxy `name` on `listen` in front of `upstream`;
    /// returns its URL.
    pub async fn add_proxy(
        &self,
        name: &str,
        listen: u16,
        upstream: u16,
    ) -> anyhow::Result<String> {
        let view = self
            .agent
            .create_proxy(ProxySpec {
                name: name.to_string(),
                listen: format!("127.0.0.1:{listen}"),
                upstream: format!("127.0.0.1:{upstream}"),
                enabled: Some(true),
                mode: Some(ProxyMode::Http),
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
