//! The pieces every workload is made of: labels, a Deployment around one
//! container, a Service in front of it, probes, resources, the OTLP
//! environment and the security context of the `chaoslab` image.

use super::plan::Plan;
use k8s_openapi::{
    api::{
        apps::v1::{Deployment, DeploymentSpec},
        core::v1::{
            ConfigMap, Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, Namespace,
            ObjectFieldSelector, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
            ResourceRequirements, SecurityContext, Service, ServicePort, ServiceSpec,
            TCPSocketAction,
        },
    },
    apimachinery::pkg::{
        api::resource::Quantity,
        apis::meta::v1::{LabelSelector, ObjectMeta},
        util::intstr::IntOrString,
    },
};
use std::collections::BTreeMap;

pub const LABEL_NAME: &str = "app.kubernetes.io/name";
pub const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
pub const LABEL_PART_OF: &str = "app.kubernetes.io/part-of";
pub const PART_OF: &str = "chaoslab";

/// Where every process sends its spans and metrics: the Collector.
pub const OTLP_ENDPOINT: &str = "http://otel-collector:4317";

/// The user the `chaoslab` image runs as (see the Dockerfile).
const CHAOSLAB_UID: i64 = 10001;

/// The labels of `name`'s objects; the first two select its pods.
pub fn labels(name: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_string(), name.to_string()),
        (LABEL_PART_OF.to_string(), PART_OF.to_string()),
        (LABEL_COMPONENT.to_string(), component.to_string()),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "chaoslab".to_string(),
        ),
    ])
}

fn selector(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_string(), name.to_string()),
        (LABEL_PART_OF.to_string(), PART_OF.to_string()),
    ])
}

pub fn meta(plan: &Plan, name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(plan.opts.namespace.clone()),
        labels: Some(labels(name, component)),
        ..Default::default()
    }
}

pub fn namespace(plan: &Plan) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(plan.opts.namespace.clone()),
            labels: Some(BTreeMap::from([(
                LABEL_PART_OF.to_string(),
                PART_OF.to_string(),
            )])),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A Deployment of one replica running `container`, with `volumes`.
pub fn deployment(
    plan: &Plan,
    name: &str,
    component: &str,
    container: Container,
    pod: PodSpec,
) -> Deployment {
    let chaoslab_image = container.image.as_deref() == Some(plan.opts.image.as_str());
    Deployment {
        metadata: meta(plan, name, component),
        spec: Some(DeploymentSpec {
            replicas: Some(1),
            selector: LabelSelector {
                match_labels: Some(selector(name)),
                ..Default::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(name, component)),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    security_context: chaoslab_image.then(|| PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(CHAOSLAB_UID),
                        run_as_group: Some(CHAOSLAB_UID),
                        ..Default::default()
                    }),
                    ..pod
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A ClusterIP Service selecting `name`'s pods, one port per `(name, port)`.
pub fn service(plan: &Plan, name: &str, component: &str, ports: &[(&str, u16)]) -> Service {
    service_to(plan, name, name, component, ports)
}

/// A Service named `name` in front of the pods of `target`.
pub fn service_to(
    plan: &Plan,
    name: &str,
    target: &str,
    component: &str,
    ports: &[(&str, u16)],
) -> Service {
    Service {
        metadata: meta(plan, name, component),
        spec: Some(ServiceSpec {
            selector: Some(selector(target)),
            ports: Some(
                ports
                    .iter()
                    .map(|(n, p)| ServicePort {
                        name: Some(n.to_string()),
                        port: i32::from(*p),
                        target_port: Some(IntOrString::Int(i32::from(*p))),
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A container of `image` with `args`, its ports named, and resources.
pub fn container(
    name: &str,
    image: &str,
    args: Vec<String>,
    ports: &[(&str, u16)],
    size: Size,
) -> Container {
    let q = |s: &str| Quantity(s.to_string());
    let (req_cpu, req_mem, lim_cpu, lim_mem) = size.resources();
    Container {
        name: name.to_string(),
        image: Some(image.to_string()),
        image_pull_policy: Some("IfNotPresent".into()),
        args: (!args.is_empty()).then_some(args),
        ports: Some(
            ports
                .iter()
                .map(|(n, p)| ContainerPort {
                    name: Some(n.to_string()),
                    container_port: i32::from(*p),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                })
                .collect(),
        ),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), q(req_cpu)),
                ("memory".to_string(), q(req_mem)),
            ])),
            limits: Some(BTreeMap::from([
                ("cpu".to_string(), q(lim_cpu)),
                ("memory".to_string(), q(lim_mem)),
            ])),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// How much a container asks for and may use.
#[derive(Debug, Clone, Copy)]
pub enum Size {
    /// A `chaoslab` process.
    Small,
    /// Prometheus, Grafana, the Collector, Jaeger.
    Large,
}

impl Size {
    /// cpu and memory requests, then limits.
    fn resources(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Size::Small => ("50m", "64Mi", "500m", "256Mi"),
            Size::Large => ("100m", "256Mi", "1", "1Gi"),
        }
    }
}

/// An HTTP GET probe on `path` at `port`.
pub fn http_probe(path: &str, port: u16, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_string()),
            port: IntOrString::Int(i32::from(port)),
            ..Default::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(2),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

/// A probe that only opens a TCP connection (a service with no health path).
pub fn tcp_probe(port: u16, period: i32) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(i32::from(port)),
            ..Default::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(2),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

pub fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        ..Default::default()
    }
}

/// A variable set from key `key` of Secret `secret`.
pub fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(k8s_openapi::api::core::v1::SecretKeySelector {
                name: secret.to_string(),
                key: key.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The token the built-in services' `/admin` wants from callers beyond
/// loopback (the agent's in-service faults), from the Secret `admin-token`.
pub fn admin_token_env() -> EnvVar {
    secret_env("CHAOSLAB_ADMIN_TOKEN", "admin-token", "token")
}

/// A variable set from the pod's own fields (downward API).
pub fn env_field(name: &str, field: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: field.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The OpenTelemetry environment of a process named `service`: spans and
/// metrics to the Collector over gRPC, the pod and namespace as resource
/// attributes.
pub fn otel_env(plan: &Plan, service: &str) -> Vec<EnvVar> {
    vec![
        env_field("POD_NAME", "metadata.name"),
        env("OTEL_SERVICE_NAME", service),
        env("OTEL_EXPORTER_OTLP_ENDPOINT", OTLP_ENDPOINT),
        env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        env(
            "OTEL_RESOURCE_ATTRIBUTES",
            &format!(
                "k8s.namespace.name={},k8s.pod.name=$(POD_NAME)",
                plan.opts.namespace
            ),
        ),
        env("CHAOSLAB_LOG", "info"),
    ]
}

/// The lab file's mount (the ConfigMap `lab`, at [`super::LAB_FILE`]).
pub fn lab_mount() -> k8s_openapi::api::core::v1::VolumeMount {
    k8s_openapi::api::core::v1::VolumeMount {
        name: "lab".into(),
        mount_path: "/etc/chaoslab/lab".into(),
        read_only: Some(true),
        ..Default::default()
    }
}

/// The volume of [`lab_mount`].
pub fn lab_volume() -> k8s_openapi::api::core::v1::Volume {
    k8s_openapi::api::core::v1::Volume {
        name: "lab".into(),
        config_map: Some(k8s_openapi::api::core::v1::ConfigMapVolumeSource {
            name: "lab".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A mount of the emptyDir volume `name` at `path`.
pub fn empty_dir_mount(name: &str, path: &str) -> k8s_openapi::api::core::v1::VolumeMount {
    k8s_openapi::api::core::v1::VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        ..Default::default()
    }
}

/// An emptyDir volume `name` (it lives as long as the pod).
pub fn empty_dir_volume(name: &str) -> k8s_openapi::api::core::v1::Volume {
    k8s_openapi::api::core::v1::Volume {
        name: name.into(),
        empty_dir: Some(Default::default()),
        ..Default::default()
    }
}

/// A ConfigMap holding `files` (file name -> text).
pub fn config_map(plan: &Plan, name: &str, component: &str, files: &[(&str, String)]) -> ConfigMap {
    ConfigMap {
        metadata: meta(plan, name, component),
        data: Some(
            files
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
        ..Default::default()
    }
}
