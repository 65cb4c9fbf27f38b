//! The chaos agent in the cluster: one Deployment whose proxies (a populate
//! file in a ConfigMap) forward to each callee's Service, one Service per
//! proxy (what callers are given as the dependency's URL), the API Service,
//! the token Secret, and the RBAC its process faults need (delete pods,
//! patch Deployments in the namespace).

use super::{
    Object,
    plan::Plan,
    workload::{self, Size},
};
use chaoslab_chaos::ProxySpec;
use chaoslab_contract::{ProxyMode, Run};
use k8s_openapi::api::{
    core::v1::{ConfigMapVolumeSource, PodSpec, Secret, ServiceAccount, Volume, VolumeMount},
    rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject},
};
use std::collections::BTreeMap;

/// The agent's API port (Toxiproxy's).
pub const AGENT_API_PORT: u16 = 8474;

/// Where the agent reads its proxies from in its pod.
pub const PROXIES_FILE: &str = "/etc/chaoslab/proxies.json";

/// The token a change to the agent needs beyond loopback, unless replaced
/// (the Secret `agent-token`).
const DEFAULT_TOKEN: &str = "chaoslab";

/// The token the agent sends to the services' `/admin` (Secret `admin-token`).
const DEFAULT_ADMIN_TOKEN: &str = "chaoslab-admin";

/// One agent proxy in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyPlan {
    /// The service it stands in front of (the proxy's name in the agent).
    pub callee: String,
    /// The Kubernetes Service that routes to it: `<callee>-proxy`.
    pub service: String,
    /// Its port, in the agent's pod and on its Service.
    pub port: u16,
    /// Where it forwards: the callee's Service (or a `url` service's address).
    pub upstream: String,
    pub mode: ProxyMode,
}

impl ProxyPlan {
    /// The agent's proxy, in its populate format.
    pub fn spec(&self) -> ProxySpec {
        ProxySpec {
            name: self.callee.clone(),
            listen: format!("0.0.0.0:{}", self.port),
            upstream: self.upstream.clone(),
            enabled: Some(true),
            mode: Some(self.mode),
        }
    }
}

pub(super) fn objects(plan: &Plan) -> Vec<Object> {
    let specs: Vec<ProxySpec> = plan.proxies.iter().map(ProxyPlan::spec).collect();
    let populate = serde_json::to_string_pretty(&specs).expect("proxy specs serialize") + "\n";
    let mut args = vec![
        "agent".to_string(),
        "--listen".into(),
        format!("0.0.0.0:{AGENT_API_PORT}"),
        "--populate".into(),
        PROXIES_FILE.into(),
        "--kubernetes".into(),
    ];
    for svc in plan.lab.services.values() {
        if !matches!(svc.run, Run::Url { .. }) {
            let url = plan.service_url(&svc.name);
            args.extend(["--service".into(), format!("{}={url}", svc.name)]);
        }
    }
    let mut ports = vec![("api".to_string(), AGENT_API_PORT)];
    ports.extend(
        plan.proxies
            .iter()
            .map(|p| (format!("proxy-{}", p.port), p.port)),
    );
    let ports: Vec<(&str, u16)> = ports.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let mut container = workload::container("agent", &plan.opts.image, args, &ports, Size::Small);
    let mut env = workload::otel_env(plan, "agent");
    env.push(workload::env_field("POD_NAMESPACE", "metadata.namespace"));
    env.push(workload::secret_env(
        "CHAOSLAB_AGENT_TOKEN",
        "agent-token",
        "token",
    ));
    env.push(workload::admin_token_env());
    container.env = Some(env);
    container.readiness_probe = Some(workload::http_probe("/version", AGENT_API_PORT, 5));
    container.liveness_probe = Some(workload::http_probe("/version", AGENT_API_PORT, 10));
    container.volume_mounts = Some(vec![VolumeMount {
        name: "proxies".into(),
        mount_path: "/etc/chaoslab".into(),
        read_only: Some(true),
        ..Default::default()
    }]);
    let pod = PodSpec {
        service_account_name: Some("agent".into()),
        volumes: Some(vec![Volume {
            name: "proxies".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: "agent-proxies".into(),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let mut out = vec![
        Object::ServiceAccount(ServiceAccount {
            metadata: workload::meta(plan, "agent", "agent"),
            ..Default::default()
        }),
        Object::Role(role(plan)),
        Object::RoleBinding(RoleBinding {
            metadata: workload::meta(plan, "agent", "agent"),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: "agent".into(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: "agent".into(),
                namespace: Some(plan.opts.namespace.clone()),
                ..Default::default()
            }]),
        }),
        Object::Secret(secret(plan, "agent-token", DEFAULT_TOKEN)),
        Object::Secret(secret(plan, "admin-token", DEFAULT_ADMIN_TOKEN)),
        Object::ConfigMap(workload::config_map(
            plan,
            "agent-proxies",
            "agent",
            &[("proxies.json", populate)],
        )),
        Object::Deployment(workload::deployment(plan, "agent", "agent", container, pod)),
        Object::Service(workload::service(
            plan,
            "agent",
            "agent",
            &[("api", AGENT_API_PORT)],
        )),
    ];
    for p in &plan.proxies {
        out.push(Object::Service(workload::service_to(
            plan,
            &p.service,
            "agent",
            "proxy",
            &[("http", p.port)],
        )));
    }
    out
}

fn secret(plan: &Plan, name: &str, token: &str) -> Secret {
    Secret {
        metadata: workload::meta(plan, name, "agent"),
        string_data: Some(BTreeMap::from([("token".into(), token.into())])),
        type_: Some("Opaque".into()),
        ..Default::default()
    }
}

/// What process faults need: pods deleted (kill), Deployments patched
/// (a timed stop, restart) and listed (the controller loop's restores).
fn role(plan: &Plan) -> Role {
    let rule = |group: &str, resource: &str, verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(vec![resource.to_string()]),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    };
    Role {
        metadata: workload::meta(plan, "agent", "agent"),
        rules: Some(vec![
            rule("apps", "deployments", &["get", "list", "watch", "patch"]),
            rule("", "pods", &["get", "list", "delete", "deletecollection"]),
        ]),
    }
}
