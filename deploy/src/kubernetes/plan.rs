//! Where each part of a lab lives in the cluster, decided once and checked:
//! object names (a lab name made a DNS label), ports, and the agent's proxies.

use super::{DeployError, Options, ProxyPlan};
use chaoslab_contract::{Lab, Run};
use std::collections::{BTreeMap, BTreeSet};

/// The port a service listens on in its pod when the lab file gives none
/// (each pod has its own address, so every such service can take it).
pub const DEFAULT_SERVICE_PORT: u16 = 8080;

/// The first port handed to a proxy whose lab file entry gives none.
const FIRST_PROXY_PORT: u16 = 18081;

/// Objects every lab has beside its services; no service may take their names.
pub const FIXED_NAMES: &[&str] = &[
    "agent",
    "agent-proxies",
    "agent-token",
    "admin-token",
    "lab",
    "hub",
    "loadgen",
    "otel-collector",
    "jaeger",
    "prometheus",
    "prometheus-rules",
    "grafana",
    "grafana-datasources",
    "grafana-providers",
];

/// A lab, placed in the cluster.
#[derive(Debug)]
pub struct Plan<'a> {
    pub lab: &'a Lab,
    pub opts: &'a Options,
    /// Service name -> the Kubernetes name of its Deployment and Service.
    pub names: BTreeMap<String, String>,
    /// Service name -> the port it listens on (a `url` service: its URL's).
    pub ports: BTreeMap<String, u16>,
    /// One per callee, in name order.
    pub proxies: Vec<ProxyPlan>,
}

impl<'a> Plan<'a> {
    pub fn new(lab: &'a Lab, opts: &'a Options) -> Result<Self, DeployError> {
        check_dns_label("--namespace", &opts.namespace)?;
        for name in opts.service_images.keys() {
            let is_command = lab
                .services
                .get(name)
                .is_some_and(|s| matches!(s.run, Run::Command { .. }));
            if !is_command {
                return Err(DeployError::UnknownImage(name.clone()));
            }
        }
        let mut names = BTreeMap::new();
        let mut taken: BTreeMap<String, String> = FIXED_NAMES
            .iter()
            .map(|n| n.to_string())
            .chain(
                super::observe::DASHBOARDS
                    .iter()
                    .map(|(f, _)| super::observe::dashboard_config_map(f)),
            )
            .map(|n| {
                let whose = format!("the lab's own `{n}`");
                (n, whose)
            })
            .collect();
        let mut claim = |k8s: String, whose: String| -> Result<String, DeployError> {
            check_dns_label(&whose, &k8s)?;
            if let Some(other) = taken.insert(k8s.clone(), whose.clone()) {
                return Err(DeployError::Name(format!(
                    "{whose} and {other} would both be named `{k8s}` on Kubernetes; rename one"
                )));
            }
            Ok(k8s)
        };
        for name in lab.services.keys() {
            let k8s = claim(k8s_name(name), format!("service {name}"))?;
            names.insert(name.clone(), k8s);
        }
        let ports: BTreeMap<String, u16> = lab
            .services
            .values()
            .map(|s| {
                let port = match &s.run {
                    Run::Url { port, .. } => *port,
                    _ => s.port.unwrap_or(DEFAULT_SERVICE_PORT),
                };
                (s.name.clone(), port)
            })
            .collect();
        let mut used: BTreeSet<u16> = lab
            .proxies()
            .iter()
            .filter_map(|p| lab.services[*p].proxy_port)
            .collect();
        used.insert(super::AGENT_API_PORT);
        let mut next = FIRST_PROXY_PORT;
        let mut proxies = Vec::new();
        for callee in lab.proxies() {
            let svc = &lab.services[callee];
            let port = match svc.proxy_port {
                Some(p) => p,
                None => {
                    while used.contains(&next) {
                        next += 1;
                    }
                    used.insert(next);
                    next
                }
            };
            let service = claim(
                format!("{}-proxy", names[callee]),
                format!("the proxy in front of {callee}"),
            )?;
            let upstream = match &svc.run {
                Run::Url { host, port, .. } => format!("{host}:{port}"),
                _ => format!("{}:{}", names[callee], ports[callee]),
            };
            proxies.push(ProxyPlan {
                callee: callee.to_string(),
                service,
                port,
                upstream,
                mode: lab.proxy_mode(callee).unwrap_or_default(),
            });
        }
        Ok(Self {
            lab,
            opts,
            names,
            ports,
            proxies,
        })
    }

    /// The base URL a dependency is called at: its proxy's Service.
    pub fn dependency_url(&self, callee: &str) -> Option<String> {
        self.proxies.iter().find(|p| p.callee == callee).map(|p| {
            let at = format!("{}:{}", p.service, p.port);
            match self.lab.services[callee].broker() {
                Some(b) => b.url(&at),
                None => format!("http://{at}"),
            }
        })
    }

    /// The in-cluster base URL of a service (a `url` service: its URL).
    pub fn service_url(&self, name: &str) -> String {
        match &self.lab.services[name].run {
            Run::Url { url, .. } => url.clone(),
            _ => format!("http://{}:{}", self.names[name], self.ports[name]),
        }
    }
}

/// A lab name as a Kubernetes name: `_` becomes `-`.
pub fn k8s_name(name: &str) -> String {
    name.replace('_', "-")
}

/// An error unless `name` is a DNS-1035 label (what a Service name must be).
fn check_dns_label(whose: &str, name: &str) -> Result<(), DeployError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(DeployError::Name(format!(
            "{whose}: `{name}` is not a Kubernetes name (at most 63 of a-z, 0-9 and `-`, starting with a letter, not ending with `-`)"
        )))
    }
}
