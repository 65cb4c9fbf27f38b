//! Prometheus (a scrape job per service from the lab file, the agent, the
//! hub, the load generator and the Collector; the repository's rules) and
//! Grafana (its provisioning and each dashboard as a ConfigMap). The files
//! are embedded at build time; `tests::embedded_files_are_the_repositorys`
//! fails when one is added without being listed here.

use super::{
    Object, compose,
    plan::Plan,
    telemetry::{self, HUB_API_PORT, config_volume, mount},
    workload::{self, Size},
};
use k8s_openapi::api::core::v1::{
    ConfigMapProjection, EmptyDirVolumeSource, KeyToPath, PodSpec, ProjectedVolumeSource, Volume,
    VolumeMount, VolumeProjection,
};
use serde_json::{Value, json};

/// The Prometheus rule files, by file name.
pub const RULES: &[(&str, &str)] = &[
    (
        "alerts.yml",
        include_str!("../../../dashboards/prometheus/rules/alerts.yml"),
    ),
    (
        "recording.yml",
        include_str!("../../../dashboards/prometheus/rules/recording.yml"),
    ),
];

/// The Grafana dashboards, by file name.
pub const DASHBOARDS: &[(&str, &str)] = &[
    (
        "chaos.json",
        include_str!("../../../dashboards/grafana/dashboards/chaos.json"),
    ),
    (
        "lab-overview.json",
        include_str!("../../../dashboards/grafana/dashboards/lab-overview.json"),
    ),
    (
        "load.json",
        include_str!("../../../dashboards/grafana/dashboards/load.json"),
    ),
    (
        "messaging.json",
        include_str!("../../../dashboards/grafana/dashboards/messaging.json"),
    ),
    (
        "resilience.json",
        include_str!("../../../dashboards/grafana/dashboards/resilience.json"),
    ),
    (
        "service.json",
        include_str!("../../../dashboards/grafana/dashboards/service.json"),
    ),
];

const DATASOURCES: &str =
    include_str!("../../../dashboards/grafana/provisioning/datasources/datasources.yml");
const PROVIDERS: &str =
    include_str!("../../../dashboards/grafana/provisioning/dashboards/dashboards.yml");

/// The ConfigMap holding dashboard `file`: `grafana-dashboard-<stem>`.
pub fn dashboard_config_map(file: &str) -> String {
    format!(
        "grafana-dashboard-{}",
        file.trim_end_matches(".json").replace('_', "-")
    )
}

pub(super) fn objects(plan: &Plan) -> Vec<Object> {
    let mut out = prometheus(plan);
    out.extend(grafana(plan));
    out
}

/// `prometheus.yml`: one job per scrape target of the lab, plus the hub and
/// the Collector, as the compose configuration has them.
pub fn prometheus_config(plan: &Plan) -> Value {
    let mut jobs: Vec<Value> = telemetry::scrape_targets(plan)
        .into_iter()
        .map(|(job, url)| {
            let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(&url);
            let (host, path) = rest.split_once('/').unwrap_or((rest, "metrics"));
            json!({
                "job_name": job,
                "metrics_path": format!("/{path}"),
                "static_configs": [{ "targets": [host] }],
            })
        })
        .collect();
    jobs.push(json!({
        "job_name": "hub",
        "static_configs": [{ "targets": [format!("hub:{HUB_API_PORT}")] }],
    }));
    jobs.push(json!({
        "job_name": "otel-collector",
        "static_configs": [{ "targets": ["otel-collector:8888"] }],
    }));
    jobs.push(json!({
        "job_name": "otel-collector-metrics",
        "honor_labels": true,
        "static_configs": [{ "targets": ["otel-collector:8889"] }],
    }));
    json!({
        "global": {
            "scrape_interval": "15s",
            "evaluation_interval": "15s",
            "external_labels": { "lab": "chaoslab" },
        },
        "rule_files": ["/etc/prometheus/rules/*.yml"],
        "scrape_configs": jobs,
    })
}

fn prometheus(plan: &Plan) -> Vec<Object> {
    let name = "prometheus";
    let config_text = serde_saphyr::to_string(&prometheus_config(plan)).expect("config serializes");
    let ports = [("web", 9090)];
    let mut c = workload::container(
        name,
        &compose::image(name),
        compose::command(name),
        &ports,
        Size::Large,
    );
    c.readiness_probe = Some(workload::http_probe("/-/ready", 9090, 5));
    c.liveness_probe = Some(workload::http_probe("/-/healthy", 9090, 10));
    // One projected volume: a ConfigMap volume is read-only, so the rules
    // cannot be a second mount nested inside the first.
    c.volume_mounts = Some(vec![
        mount("config", "/etc/prometheus"),
        writable("data", "/prometheus"),
    ]);
    let config = Volume {
        name: "config".into(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(vec![
                projection("prometheus", &[("prometheus.yml", "prometheus.yml".into())]),
                projection(
                    "prometheus-rules",
                    &RULES
                        .iter()
                        .map(|(f, _)| (*f, format!("rules/{f}")))
                        .collect::<Vec<_>>(),
                ),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let pod = PodSpec {
        volumes: Some(vec![config, empty_dir("data")]),
        ..Default::default()
    };
    let rules: Vec<(&str, String)> = RULES.iter().map(|(f, t)| (*f, t.to_string())).collect();
    vec![
        Object::ConfigMap(workload::config_map(
            plan,
            name,
            "monitoring",
            &[("prometheus.yml", config_text)],
        )),
        Object::ConfigMap(workload::config_map(
            plan,
            "prometheus-rules",
            "monitoring",
            &rules,
        )),
        Object::Deployment(workload::deployment(plan, name, "monitoring", c, pod)),
        Object::Service(workload::service(plan, name, "monitoring", &ports)),
    ]
}

fn grafana(plan: &Plan) -> Vec<Object> {
    let name = "grafana";
    let ports = [("web", 3000)];
    let mut c = workload::container(name, &compose::image(name), vec![], &ports, Size::Large);
    c.env = Some(
        compose::environment(name)
            .iter()
            .map(|(k, v)| workload::env(k, v))
            .collect(),
    );
    c.readiness_probe = Some(workload::http_probe("/api/health", 3000, 5));
    c.liveness_probe = Some(workload::http_probe("/api/health", 3000, 10));
    c.volume_mounts = Some(vec![
        writable("data", "/var/lib/grafana"),
        mount("datasources", "/etc/grafana/provisioning/datasources"),
        mount("providers", "/etc/grafana/provisioning/dashboards"),
        mount("dashboards", "/var/lib/grafana/dashboards"),
    ]);
    let dashboards = Volume {
        name: "dashboards".into(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(
                DASHBOARDS
                    .iter()
                    .map(|(file, _)| VolumeProjection {
                        config_map: Some(ConfigMapProjection {
                            name: dashboard_config_map(file),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    };
    let pod = PodSpec {
        volumes: Some(vec![
            empty_dir("data"),
            config_volume("datasources", "grafana-datasources"),
            config_volume("providers", "grafana-providers"),
            dashboards,
        ]),
        ..Default::default()
    };
    let mut out = vec![
        Object::ConfigMap(workload::config_map(
            plan,
            "grafana-datasources",
            "monitoring",
            &[("datasources.yml", DATASOURCES.to_string())],
        )),
        Object::ConfigMap(workload::config_map(
            plan,
            "grafana-providers",
            "monitoring",
            &[("dashboards.yml", PROVIDERS.to_string())],
        )),
    ];
    for (file, text) in DASHBOARDS {
        out.push(Object::ConfigMap(workload::config_map(
            plan,
            &dashboard_config_map(file),
            "monitoring",
            &[(file, text.to_string())],
        )));
    }
    out.push(Object::Deployment(workload::deployment(
        plan,
        name,
        "monitoring",
        c,
        pod,
    )));
    out.push(Object::Service(workload::service(
        plan,
        name,
        "monitoring",
        &ports,
    )));
    out
}

/// ConfigMap `name`'s `items` (key, path in the volume).
fn projection(name: &str, items: &[(&str, String)]) -> VolumeProjection {
    VolumeProjection {
        config_map: Some(ConfigMapProjection {
            name: name.to_string(),
            items: Some(
                items
                    .iter()
                    .map(|(key, path)| KeyToPath {
                        key: key.to_string(),
                        path: path.clone(),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn writable(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        read_only: Some(false),
        ..mount(name, path)
    }
}

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }
}
