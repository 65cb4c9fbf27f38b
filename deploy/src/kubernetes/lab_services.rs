//! A Deployment and a Service for each service the lab runs: a built-in
//! service runs `chaoslab service NAME --lab FILE` (the lab file from the
//! ConfigMap `lab`) with `--dep NAME=URL` per dependency (as the supervisor
//! passes them), a command service runs its command in
//! its image with `CHAOSLAB_DEP_<NAME>`, a broker runs the compose file's
//! image of it; every URL is the dependency's proxy Service. A `url`
//! service runs elsewhere: it gets no objects, only a proxy.

use super::{
    DeployError, Object,
    plan::Plan,
    workload::{self, Size},
};
use chaoslab_contract::Run;
use k8s_openapi::api::core::v1::PodSpec;
use std::collections::BTreeMap;

/// The liveness path of a built-in service (the lab file's `health` is its readiness).
pub const BUILTIN_LIVENESS: &str = "/health/live";

/// Where a command service's image holds the environment its set-up step
/// would make (a Python venv): the `{env}` of its command line. The
/// services' own Dockerfiles build it there.
pub const IMAGE_ENV: &str = "/opt/chaoslab-env";

/// Where a broker's pod keeps its data (an emptyDir: the pod's life).
pub const BROKER_DATA: &str = "/data";

pub(super) fn objects(plan: &Plan) -> Result<Vec<Object>, DeployError> {
    let mut out = Vec::new();
    for svc in plan.lab.services.values() {
        if matches!(svc.run, Run::Url { .. }) {
            continue;
        }
        let name = &plan.names[&svc.name];
        let port = plan.ports[&svc.name];
        let deps: BTreeMap<String, String> = svc
            .depends_on
            .iter()
            .filter_map(|d| Some((d.name.clone(), plan.dependency_url(&d.name)?)))
            .collect();
        let mut env = workload::otel_env(plan, &svc.name);
        // A broker speaks its own protocol, the rest HTTP.
        let port_name = if svc.broker().is_some() {
            "broker"
        } else {
            "http"
        };
        let ports = [(port_name, port)];
        let mut container = match &svc.run {
            Run::Builtin(_) => {
                let mut args = vec![
                    "service".to_string(),
                    svc.name.clone(),
                    "--listen".into(),
                    format!("0.0.0.0:{port}"),
                    "--lab".into(),
                    super::LAB_FILE.into(),
                ];
                for (dep, url) in &deps {
                    args.extend(["--dep".into(), format!("{dep}={url}")]);
                }
                env.push(workload::admin_token_env());
                let mut c = workload::container(name, &plan.opts.image, args, &ports, Size::Small);
                c.volume_mounts = Some(vec![workload::lab_mount()]);
                c
            }
            Run::Command { argv, .. } => {
                let image = plan.opts.service_images.get(&svc.name).ok_or_else(|| {
                    DeployError::NoImage {
                        service: svc.name.clone(),
                        program: argv[0].clone(),
                    }
                })?;
                // The image holds the service's environment (no set-up step
                // runs in the cluster): `{env}` is the image's IMAGE_ENV.
                let line = svc
                    .command_line(port, &deps, Some(std::path::Path::new(IMAGE_ENV)))
                    .expect("a command service has a command line");
                env.extend(line.env.iter().map(|(k, v)| workload::env(k, v)));
                let mut c = workload::container(name, image, vec![], &ports, Size::Small);
                c.command = Some(line.argv);
                c
            }
            Run::Broker(b) => {
                // The compose file's pinned image of this broker, its data
                // in the pod (an emptyDir), listening on every interface.
                let image = super::compose::image_of_repository(b.image_repository());
                let args = b.args(
                    &svc.name,
                    "0.0.0.0",
                    port,
                    std::path::Path::new(BROKER_DATA),
                );
                let mut c = workload::container(name, &image, args, &ports, Size::Small);
                c.volume_mounts = Some(vec![workload::empty_dir_mount("data", BROKER_DATA)]);
                c
            }
            Run::Url { .. } => unreachable!("skipped above"),
        };
        container.env = Some(env);
        container.readiness_probe = Some(match &svc.health {
            Some(path) => workload::http_probe(path, port, 5),
            None => workload::tcp_probe(port, 5),
        });
        let liveness = match (&svc.run, &svc.health) {
            (Run::Builtin(_), _) => Some(BUILTIN_LIVENESS),
            (_, Some(path)) => Some(path.as_str()),
            (_, None) => None,
        };
        container.liveness_probe = Some(match liveness {
            Some(path) => workload::http_probe(path, port, 10),
            None => workload::tcp_probe(port, 10),
        });
        let volumes = match &svc.run {
            Run::Builtin(_) => Some(vec![workload::lab_volume()]),
            Run::Broker(_) => Some(vec![workload::empty_dir_volume("data")]),
            _ => None,
        };
        let pod = PodSpec {
            volumes,
            ..Default::default()
        };
        out.push(Object::Deployment(workload::deployment(
            plan, name, "service", container, pod,
        )));
        out.push(Object::Service(workload::service(
            plan, name, "service", &ports,
        )));
    }
    Ok(out)
}
