//! The lab's own hub (OTLP from the Collector, scraping every process), the
//! load generator (on the lab's entry service), the OpenTelemetry Collector
//! (the repository's `dashboards/otel/collector.yml`) and Jaeger.

use super::{
    AGENT_API_PORT, Object, compose,
    plan::Plan,
    workload::{self, Size},
};
use k8s_openapi::api::core::v1::{ConfigMapVolumeSource, PodSpec, Volume, VolumeMount};

pub const HUB_API_PORT: u16 = 7070;
pub const HUB_OTLP_GRPC_PORT: u16 = 4317;
pub const HUB_OTLP_HTTP_PORT: u16 = 4318;
pub const LOADGEN_PORT: u16 = 9464;

const COLLECTOR_CONFIG: &str = include_str!("../../../dashboards/otel/collector.yml");

pub(super) fn objects(plan: &Plan) -> Vec<Object> {
    let mut out = hub(plan);
    if runs_load(plan) {
        out.extend(loadgen(plan));
    }
    out.extend(collector(plan));
    out.extend(jaeger(plan));
    out
}

/// Whether the lab has load to run (a rate above 0 and journeys), as `chaoslab up` decides.
pub fn runs_load(plan: &Plan) -> bool {
    plan.lab.load.rate.unwrap_or(0.0) > 0.0 && !plan.lab.load.journeys.is_empty()
}

/// Every `(job, metrics URL)` the lab scrapes: each service with a metrics
/// path, the agent and the load generator (when it runs).
pub fn scrape_targets(plan: &Plan) -> Vec<(String, String)> {
    let mut targets: Vec<(String, String)> = plan
        .lab
        .services
        .values()
        .filter_map(|s| {
            let path = s.metrics.as_ref()?;
            Some((
                s.name.clone(),
                format!("{}{path}", plan.service_url(&s.name)),
            ))
        })
        .collect();
    targets.push((
        "agent".into(),
        format!("http://agent:{AGENT_API_PORT}/metrics"),
    ));
    if runs_load(plan) {
        targets.push((
            "loadgen".into(),
            format!("http://loadgen:{LOADGEN_PORT}/metrics"),
        ));
    }
    targets
}

fn hub(plan: &Plan) -> Vec<Object> {
    let mut args: Vec<String> = [
        "hub",
        "--api",
        &format!("0.0.0.0:{HUB_API_PORT}"),
        "--otlp-grpc",
        &format!("0.0.0.0:{HUB_OTLP_GRPC_PORT}"),
        "--otlp-http",
        &format!("0.0.0.0:{HUB_OTLP_HTTP_PORT}"),
    ]
    .map(String::from)
    .to_vec();
    for (job, url) in scrape_targets(plan) {
        args.extend(["--target".into(), format!("{job}={url}")]);
    }
    args.extend(["--agent".into(), format!("http://agent:{AGENT_API_PORT}")]);
    let ports = [
        ("api", HUB_API_PORT),
        ("otlp-grpc", HUB_OTLP_GRPC_PORT),
        ("otlp-http", HUB_OTLP_HTTP_PORT),
    ];
    let mut c = workload::container("hub", &plan.opts.image, args, &ports, Size::Small);
    // The hub must not trace itself into itself.
    c.env = Some(vec![
        workload::env("OTEL_SDK_DISABLED", "true"),
        workload::env("OTEL_SERVICE_NAME", "hub"),
    ]);
    c.readiness_probe = Some(workload::http_probe("/api/health", HUB_API_PORT, 5));
    c.liveness_probe = Some(workload::http_probe("/api/health", HUB_API_PORT, 10));
    vec![
        Object::Deployment(workload::deployment(
            plan,
            "hub",
            "hub",
            c,
            PodSpec::default(),
        )),
        Object::Service(workload::service(plan, "hub", "hub", &ports)),
    ]
}

fn loadgen(plan: &Plan) -> Vec<Object> {
    let entry = plan.service_url(&plan.lab.entry);
    let rate = plan.lab.load.rate.unwrap_or(0.0);
    let args = [
        "load",
        "--target",
        &entry,
        "--rate",
        &rate.to_string(),
        "--listen",
        &format!("0.0.0.0:{LOADGEN_PORT}"),
    ]
    .map(String::from)
    .to_vec();
    let ports = [("metrics", LOADGEN_PORT)];
    let mut c = workload::container("loadgen", &plan.opts.image, args, &ports, Size::Small);
    c.env = Some(workload::otel_env(plan, "loadgen"));
    c.readiness_probe = Some(workload::http_probe("/metrics", LOADGEN_PORT, 5));
    c.liveness_probe = Some(workload::http_probe("/metrics", LOADGEN_PORT, 10));
    vec![
        Object::Deployment(workload::deployment(
            plan,
            "loadgen",
            "load",
            c,
            PodSpec::default(),
        )),
        Object::Service(workload::service(plan, "loadgen", "load", &ports)),
    ]
}

fn collector(plan: &Plan) -> Vec<Object> {
    let name = "otel-collector";
    let ports = [
        ("otlp-grpc", 4317),
        ("otlp-http", 4318),
        ("metrics", 8888),
        ("spanmetrics", 8889),
        ("health", 13133),
    ];
    let mut c = workload::container(
        name,
        &compose::image(name),
        compose::command(name),
        &ports,
        Size::Large,
    );
    c.readiness_probe = Some(workload::http_probe("/", 13133, 5));
    c.liveness_probe = Some(workload::http_probe("/", 13133, 10));
    c.volume_mounts = Some(vec![mount("config", "/etc/otelcol")]);
    let pod = PodSpec {
        volumes: Some(vec![config_volume("config", name)]),
        ..Default::default()
    };
    vec![
        Object::ConfigMap(workload::config_map(
            plan,
            name,
            "telemetry",
            &[("config.yml", COLLECTOR_CONFIG.to_string())],
        )),
        Object::Deployment(workload::deployment(plan, name, "telemetry", c, pod)),
        Object::Service(workload::service(plan, name, "telemetry", &ports)),
    ]
}

fn jaeger(plan: &Plan) -> Vec<Object> {
    let name = "jaeger";
    let ports = [
        ("ui", 16686),
        ("otlp-grpc", 4317),
        ("otlp-http", 4318),
        ("admin", 14269),
    ];
    let mut c = workload::container(name, &compose::image(name), vec![], &ports, Size::Large);
    c.env = Some(
        compose::environment(name)
            .iter()
            .map(|(k, v)| workload::env(k, v))
            .collect(),
    );
    c.readiness_probe = Some(workload::http_probe("/", 14269, 5));
    c.liveness_probe = Some(workload::http_probe("/", 14269, 10));
    vec![
        Object::Deployment(workload::deployment(
            plan,
            name,
            "telemetry",
            c,
            PodSpec::default(),
        )),
        Object::Service(workload::service(plan, name, "telemetry", &ports)),
    ]
}

/// A read-only mount of volume `name` at `path`.
pub fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        read_only: Some(true),
        ..Default::default()
    }
}

/// A volume `name` holding ConfigMap `config_map`'s files.
pub fn config_volume(name: &str, config_map: &str) -> Volume {
    Volume {
        name: name.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.to_string(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
