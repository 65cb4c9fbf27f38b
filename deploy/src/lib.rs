//! chaoslab-deploy: a lab on Kubernetes.
//!
//! - [`kubernetes`]: the manifests of a lab, generated from its lab file only
//!   (`chaoslab deploy kubernetes`): a namespace, a Deployment and a Service
//!   per service, the agent with one Service per proxy (every dependency's
//!   URL is its proxy), the hub, the load generator, Prometheus with the
//!   lab's rules, Grafana with the dashboards, an OpenTelemetry Collector and
//!   Jaeger. Built from `k8s-openapi` types, written as YAML.
//! - [`control`]: process faults on Kubernetes through its API (`kube`):
//!   kill deletes the pods, a timed stop scales the Deployment to zero and
//!   writes when to scale it back in annotations on the Deployment, which the
//!   agent's controller loop honours on every tick and when it starts.
//!
//! ```text
//!  labs/shop.toml ──Lab::load──> kubernetes::render ──> objects ──> YAML stream
//!                                                               └──> deploy/kubernetes/ (kustomize base)
//!  agent API ──process fault──> control::KubeControl ──HTTP──> Kubernetes API
//!                                     ▲ every tick: restore expired stops
//! ```

#![forbid(unsafe_code)]

pub mod control;
pub mod kubernetes;
