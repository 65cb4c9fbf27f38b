//! The Kubernetes manifests of a lab, from its lab file only: nothing here
//! names the shop's services.
//!
//! Layout: `plan` (names, ports and proxies in the cluster, checked once),
//! `workload` (the Deployment, Service, probe and label helpers every part
//! uses), `lab_services` (a Deployment and a Service per service), `agent`
//! (the agent, its proxies' Services, its RBAC), `telemetry` (hub, load
//! generator, Collector, Jaeger), `observe` (Prometheus and Grafana with the
//! repository's rules and dashboards, embedded at build time).
//!
//! ```text
//!  loadgen ──> entry service ──> <callee>-proxy Service ──> agent pod ──> <callee> Service
//!  every chaoslab process ──OTLP──> otel-collector ──> jaeger, hub
//!  prometheus ──scrapes──> every service, agent, hub, loadgen, collector
//! ```

mod agent;
mod compose;
mod lab_services;
mod observe;
mod plan;
mod telemetry;
mod workload;

use chaoslab_contract::Lab;
use k8s_openapi::{
    Metadata, Resource,
    api::{
        apps::v1::Deployment,
        core::v1::{ConfigMap, Namespace, Secret, Service, ServiceAccount},
        rbac::v1::{Role, RoleBinding},
    },
};
use serde::Serialize;
use std::{collections::BTreeMap, path::Path};

pub use agent::{AGENT_API_PORT, PROXIES_FILE, ProxyPlan};
pub use observe::{DASHBOARDS, RULES, prometheus_config};
pub use plan::{Plan, k8s_name};
pub use telemetry::scrape_targets;
pub use workload::{LABEL_COMPONENT, LABEL_NAME, LABEL_PART_OF, PART_OF};

/// What the manifests are for beyond the lab file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The namespace every object goes in.
    pub namespace: String,
    /// The image with the `chaoslab` binary (services, agent, hub, load).
    pub image: String,
    /// The image of each `command` service, by service name (the lab file
    /// says what to run, not where the program comes from).
    pub service_images: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            namespace: "chaoslab".into(),
            image: "chaoslab:local".into(),
            service_images: BTreeMap::new(),
        }
    }
}

/// Why a lab cannot be put on Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeployError {
    /// A name that is not a valid Kubernetes object name, or that two objects would share.
    #[error("{0}")]
    Name(String),
    /// A command service without an image.
    #[error(
        "service {service} runs a command (`{program}`); on Kubernetes it needs an image: pass --service-image {service}=IMAGE"
    )]
    NoImage { service: String, program: String },
    /// An image given for a service the lab does not run as a command.
    #[error("--service-image {0}: the lab has no command service named {0}")]
    UnknownImage(String),
    #[error("cannot write YAML: {0}")]
    Yaml(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A manifest that is not one of the kinds this module writes.
    #[error("{0}")]
    Parse(String),
}

/// One Kubernetes object of a lab. (A few dozen per lab, made once: the
/// size of the largest variant does not matter.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Role(Role),
    RoleBinding(RoleBinding),
    Secret(Secret),
    ConfigMap(ConfigMap),
    Deployment(Deployment),
    Service(Service),
}

macro_rules! each {
    ($self:expr, $o:ident => $e:expr) => {
        match $self {
            Object::Namespace($o) => $e,
            Object::ServiceAccount($o) => $e,
            Object::Role($o) => $e,
            Object::RoleBinding($o) => $e,
            Object::Secret($o) => $e,
            Object::ConfigMap($o) => $e,
            Object::Deployment($o) => $e,
            Object::Service($o) => $e,
        }
    };
}

impl Object {
    /// Its kind, e.g. `Deployment`.
    pub fn kind(&self) -> &'static str {
        fn kind<T: Resource>(_: &T) -> &'static str {
            T::KIND
        }
        each!(self, o => kind(o))
    }

    /// Its `metadata.name`.
    pub fn name(&self) -> &str {
        each!(self, o => o.metadata().name.as_deref().unwrap_or_default())
    }

    /// The file it is written to with `-o DIR`: `kind-name.yaml`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind().to_ascii_lowercase(), self.name())
    }

    /// One object from a YAML document (one of the kinds above).
    pub fn from_yaml(text: &str) -> Result<Self, DeployError> {
        let value: serde_json::Value =
            serde_saphyr::from_str(text).map_err(|e| DeployError::Parse(e.to_string()))?;
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_string();
        fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, DeployError> {
            serde_json::from_value(v).map_err(|e| DeployError::Parse(e.to_string()))
        }
        Ok(match kind.as_str() {
            "Namespace" => Object::Namespace(typed(value)?),
            "ServiceAccount" => Object::ServiceAccount(typed(value)?),
            "Role" => Object::Role(typed(value)?),
            "RoleBinding" => Object::RoleBinding(typed(value)?),
            "Secret" => Object::Secret(typed(value)?),
            "ConfigMap" => Object::ConfigMap(typed(value)?),
            "Deployment" => Object::Deployment(typed(value)?),
            "Service" => Object::Service(typed(value)?),
            other => return Err(DeployError::Parse(format!("unexpected kind {other:?}"))),
        })
    }
}

/// Where the lab file is in every pod that reads it (the built-in
/// services), from the ConfigMap `lab`.
pub const LAB_FILE: &str = "/etc/chaoslab/lab/lab.toml";

/// Every object of `lab` on Kubernetes, the namespace first; `source` is the
/// lab file's text, which the built-in services read.
pub fn render(lab: &Lab, source: &str, opts: &Options) -> Result<Vec<Object>, DeployError> {
    let plan = Plan::new(lab, opts)?;
    let mut objects = vec![
        Object::Namespace(workload::namespace(&plan)),
        Object::ConfigMap(workload::config_map(
            &plan,
            "lab",
            "lab",
            &[("lab.toml", source.to_string())],
        )),
    ];
    objects.extend(lab_services::objects(&plan)?);
    objects.extend(agent::objects(&plan));
    objects.extend(telemetry::objects(&plan));
    objects.extend(observe::objects(&plan));
    Ok(objects)
}

/// The objects as one multi-document YAML stream.
pub fn to_yaml_stream(objects: &[Object]) -> Result<String, DeployError> {
    serde_saphyr::to_string_multiple(objects).map_err(|e| DeployError::Yaml(e.to_string()))
}

/// How every generated file starts.
const GENERATED: &str = "# Generated by `chaoslab deploy kubernetes";

/// The files of a kustomize base: one per object, and `kustomization.yaml`
/// listing them in order.
pub fn base_files(
    objects: &[Object],
    lab_file: &str,
) -> Result<Vec<(String, String)>, DeployError> {
    let header = format!("{GENERATED} --lab {lab_file}`: edit the lab file, not this.\n");
    let mut files = Vec::new();
    let mut kustomization = format!(
        "{header}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
    );
    for o in objects {
        let yaml = serde_saphyr::to_string(o).map_err(|e| DeployError::Yaml(e.to_string()))?;
        kustomization.push_str(&format!("- {}\n", o.file_name()));
        files.push((o.file_name(), format!("{header}{yaml}")));
    }
    files.push(("kustomization.yaml".into(), kustomization));
    Ok(files)
}

/// Writes [`base_files`] into `dir`, removing the files of an earlier
/// generation (those that start with the generated header) that are no
/// longer part of it; other files are left alone.
pub fn write_dir(dir: &Path, files: &[(String, String)]) -> Result<(), DeployError> {
    let io = |path: &Path, e: std::io::Error| DeployError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let generated = name.ends_with(".yaml")
            && std::fs::read_to_string(&path).is_ok_and(|t| t.starts_with(GENERATED));
        if generated && !files.iter().any(|(f, _)| f == name) {
            std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
        }
    }
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
