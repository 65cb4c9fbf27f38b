//! Process faults on Kubernetes, through its API: the agent's
//! [`LabControl`] when it runs in a cluster (`chaoslab agent --kubernetes`).
//!
//! | action    | on Kubernetes |
//! |-----------|---------------|
//! | kill      | delete the service's pods at once (grace 0); the Deployment makes new ones |
//! | terminate | delete the pods with their grace period (SIGTERM first) |
//! | restart   | a rolling restart (the pod template's `kubectl.kubernetes.io/restartedAt`) |
//! | stop for D| scale the Deployment to 0 and write [`RESTORE_AT`] (now + D) and [`RESTORE_REPLICAS`] on it, in one patch |
//! | start     | scale back to [`RESTORE_REPLICAS`] and drop both annotations |
//! | pause, resume | refused: no signal reaches a container through the API |
//!
//! The end of a stop is kept in the cluster, not in the caller: the agent's
//! controller loop ([`KubeControl::run_controller`]) restores every
//! Deployment of its namespace whose [`RESTORE_AT`] has passed, when it
//! starts and on every tick. A stop whose caller died ends on time as long
//! as an agent runs in the namespace (the agent's own Deployment restarts it);
//! with no agent left, the annotations stay until one starts again.

use chaoslab_chaos::{LabControl, ProcessAction};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    future::Future,
    sync::Arc,
    time::{Duration, SystemTime},
};

/// When a stopped Deployment is scaled back (RFC 3339, UTC).
pub const RESTORE_AT: &str = "chaoslab.dev/restore-at";
/// How many replicas it is scaled back to.
pub const RESTORE_REPLICAS: &str = "chaoslab.dev/restore-replicas";
/// How often the controller loop looks for stops that have ended.
pub const TICK: Duration = Duration::from_secs(1);

/// A process fault that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no service named {0:?}")]
    UnknownService(String),
    #[error("{0}")]
    Refused(String),
    #[error("Kubernetes API: {0}")]
    Api(#[from] kube::Error),
}

/// Process faults on the Deployments of one namespace.
pub struct KubeControl {
    client: kube::Client,
    namespace: String,
    /// Service name -> its admin API's base URL; each runs as the Deployment
    /// named [`crate::kubernetes::k8s_name`] of it.
    services: BTreeMap<String, String>,
    /// The runtime the API calls run on (the trait's calls are blocking).
    handle: tokio::runtime::Handle,
    /// What the services' admin APIs want from a caller beyond loopback.
    admin_token: Option<String>,
}

impl KubeControl {
    /// Must be called inside a (multi-thread) tokio runtime.
    pub fn new(
        client: kube::Client,
        namespace: impl Into<String>,
        services: BTreeMap<String, String>,
    ) -> Self {
        Self {
            client,
            namespace: namespace.into(),
            services,
            handle: tokio::runtime::Handle::current(),
            admin_token: None,
        }
    }

    /// Sends `token` to the services' admin APIs (in-service faults).
    pub fn with_admin_token(mut self, token: Option<String>) -> Self {
        self.admin_token = token;
        self
    }

    /// The cluster the pod runs in (or the local kubeconfig's), in
    /// `namespace` or else the client's default one.
    pub async fn connect(
        namespace: Option<String>,
        services: BTreeMap<String, String>,
    ) -> Result<Self, ControlError> {
        let client = kube::Client::try_default().await?;
        let namespace = namespace.unwrap_or_else(|| client.default_namespace().to_string());
        Ok(Self::new(client, namespace, services))
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn deployment_name(&self, service: &str) -> Result<String, ControlError> {
        if !self.services.contains_key(service) {
            return Err(ControlError::UnknownService(service.to_string()));
        }
        Ok(crate::kubernetes::k8s_name(service))
    }

    /// Deletes the service's pods (grace 0: a kill; `None`: their own grace
    /// period); returns how many were deleted.
    pub async fn delete_pods(
        &self,
        service: &str,
        grace: Option<u32>,
    ) -> Result<usize, ControlError> {
        let name = self.deployment_name(service)?;
        let d = self.deployments().get(&name).await?;
        let selector = d
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.as_ref())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ControlError::Refused(format!(
                    "deployment {name} selects its pods without matchLabels"
                ))
            })?;
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        let params = DeleteParams {
            grace_period_seconds: grace,
            ..DeleteParams::default()
        };
        let deleted = pods
            .delete_collection(&params, &ListParams::default().labels(&selector))
            .await?;
        let n = deleted.left().map(|l| l.items.len()).unwrap_or(1);
        if n == 0 {
            return Err(ControlError::Refused(format!(
                "{service} has no running pod"
            )));
        }
        Ok(n)
    }

    /// A rolling restart, as `kubectl rollout restart` does it.
    pub async fn restart(&self, service: &str, now: SystemTime) -> Result<(), ControlError> {
        let name = self.deployment_name(service)?;
        let patch = json!({ "spec": { "template": { "metadata": { "annotations": {
            "kubectl.kubernetes.io/restartedAt": humantime::format_rfc3339_seconds(now).to_string(),
        } } } } });
        self.patch(&name, patch).await
    }

    /// Scales the service to zero until `until`, keeping the replicas to
    /// restore; a second stop moves the end but keeps the first count.
    pub async fn stop_until(&self, service: &str, until: SystemTime) -> Result<(), ControlError> {
        let name = self.deployment_name(service)?;
        let d = self.deployments().get(&name).await?;
        let kept = annotation(&d, RESTORE_REPLICAS).and_then(|r| r.parse::<i32>().ok());
        let replicas =
            kept.unwrap_or_else(|| d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1));
        let patch = json!({
            "metadata": { "annotations": {
                RESTORE_AT: humantime::format_rfc3339_seconds(until).to_string(),
                RESTORE_REPLICAS: replicas.to_string(),
            } },
            "spec": { "replicas": 0 },
        });
        self.patch(&name, patch).await
    }

    /// Ends a stop now; a no-op when the service is not stopped.
    pub async fn start(&self, service: &str) -> Result<(), ControlError> {
        let name = self.deployment_name(service)?;
        let d = self.deployments().get(&name).await?;
        self.restore(&d).await.map(|_| ())
    }

    /// Scales `d` back if it carries a stop; whether it did.
    async fn restore(&self, d: &Deployment) -> Result<bool, ControlError> {
        let Some(replicas) = annotation(d, RESTORE_REPLICAS) else {
            return Ok(false);
        };
        // An unreadable count still ends the stop: one replica.
        let replicas = replicas.parse::<i32>().unwrap_or(1);
        let name = d.metadata.name.clone().unwrap_or_default();
        let patch = json!({
            "metadata": { "annotations": { RESTORE_AT: null, RESTORE_REPLICAS: null } },
            "spec": { "replicas": replicas },
        });
        self.patch(&name, patch).await?;
        Ok(true)
    }

    /// One tick of the controller loop: restores every Deployment of the
    /// namespace whose stop ended by `now` (or whose end cannot be read);
    /// returns their names.
    pub async fn restore_expired(&self, now: SystemTime) -> Result<Vec<String>, ControlError> {
        let list = self.deployments().list(&ListParams::default()).await?;
        let mut restored = Vec::new();
        for d in &list.items {
            let Some(at) = annotation(d, RESTORE_AT) else {
                continue;
            };
            let ended = humantime::parse_rfc3339_weak(at).map_or(true, |t| t <= now);
            if ended && self.restore(d).await? {
                restored.push(d.metadata.name.clone().unwrap_or_default());
            }
        }
        Ok(restored)
    }

    /// Restores ended stops at once and then every `tick`, forever (run it
    /// in a task of its own for as long as the agent runs).
    pub async fn run_controller(self: Arc<Self>, tick: Duration) {
        loop {
            match self.restore_expired(SystemTime::now()).await {
                Ok(names) => {
                    for n in names {
                        tracing::info!(deployment = %n, "outage ended: scaled back");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot restore stopped deployments"),
            }
            tokio::time::sleep(tick).await;
        }
    }

    async fn patch(&self, name: &str, patch: Value) -> Result<(), ControlError> {
        self.deployments()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        Ok(())
    }

    /// Runs `f` to its end from the trait's blocking calls (the agent makes
    /// them on its blocking pool).
    fn block<T>(&self, f: impl Future<Output = T>) -> T {
        tokio::task::block_in_place(|| self.handle.block_on(f))
    }
}

fn annotation<'a>(d: &'a Deployment, key: &str) -> Option<&'a str> {
    d.metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

impl LabControl for KubeControl {
    fn services(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }

    fn process(&self, service: &str, action: ProcessAction) -> Result<(), String> {
        let done = match action {
            ProcessAction::Kill => self.block(self.delete_pods(service, Some(0))).map(|_| ()),
            ProcessAction::Terminate => self.block(self.delete_pods(service, None)).map(|_| ()),
            ProcessAction::Restart => self.block(self.restart(service, SystemTime::now())),
            ProcessAction::Start => self.block(self.start(service)),
            ProcessAction::Pause | ProcessAction::Resume => Err(ControlError::Refused(format!(
                "{} is not possible on Kubernetes (no signal reaches a container through its API); use stop with a duration",
                action.as_str()
            ))),
            ProcessAction::Stop => Err(ControlError::Refused(
                "a stop needs a duration (stop_for)".into(),
            )),
        };
        done.map_err(|e| e.to_string())
    }

    fn stop_for(&self, service: &str, duration: Duration) -> Result<(), String> {
        self.block(self.stop_until(service, SystemTime::now() + duration))
            .map_err(|e| e.to_string())
    }

    fn admin_url(&self, service: &str) -> Option<String> {
        self.services.get(service).cloned()
    }

    fn admin_token(&self) -> Option<String> {
        self.admin_token.clone()
    }
}
