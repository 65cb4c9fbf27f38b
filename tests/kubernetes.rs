//! The Kubernetes base under deploy/kubernetes: generated from the shop's
//! lab file and kept in step with it, and wired as the lab file says —
//! every dependency's URL is its agent proxy's Service, which forwards to
//! the dependency's Service; every service is scraped by Prometheus and the
//! hub; every container of the chaoslab image runs a subcommand (and flags)
//! the binary has; every file a container is pointed at is mounted.
//! Offline: no cluster runs here (`.ci/kubernetes.sh` renders and validates
//! the base against the Kubernetes schemas).

use chaoslab_contract::Lab;
use chaoslab_deploy::kubernetes::{Object, k8s_name};
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{ConfigMap, Container, Service},
};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
};

const BASE: &str = "deploy/kubernetes";
const SHOP: &str = "labs/shop.toml";
/// The images of the shop's command services (their Dockerfiles are in
/// their folders).
const IMAGES: [&str; 4] = [
    "--service-image",
    "recommendations=chaoslab-recommendations:dev",
    "--service-image",
    "shipping=chaoslab-shipping:dev",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chaoslab(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_chaoslab"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("chaoslab runs");
    assert!(
        out.status.success(),
        "chaoslab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn yaml_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn the_kustomize_base_is_what_the_shops_lab_file_generates() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    let _ = chaoslab(
        &[
            &["deploy", "kubernetes", "--lab", SHOP, "-o", out][..],
            &IMAGES,
        ]
        .concat(),
    );
    let fresh = yaml_files(tmp.path());
    let committed = yaml_files(&root().join(BASE));
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    let hint = format!("regenerate: cargo run -- deploy kubernetes --lab {SHOP} -o {BASE}");
    assert_eq!(names(&committed), names(&fresh), "{hint}");
    for (name, text) in &fresh {
        assert_eq!(&committed[name], text, "{BASE}/{name} is stale; {hint}");
    }
}

#[test]
fn a_change_to_the_lab_file_alone_changes_the_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab.toml");
    let shop = std::fs::read_to_string(root().join(SHOP)).unwrap();
    let moved = shop.replacen("port = 8085", "port = 9085", 1);
    assert_ne!(moved, shop, "the shop's payments port moved");
    std::fs::write(&lab, moved).unwrap();
    let stream = chaoslab(
        &[
            &["deploy", "kubernetes", "--lab", lab.to_str().unwrap()][..],
            &IMAGES,
        ]
        .concat(),
    );
    assert!(
        stream.contains("\"upstream\": \"payments:9085\""),
        "the proxy forwards to the new port"
    );
    assert!(stream.contains("payments:9085"));
    assert!(!stream.contains("payments:8085"));
    let objects = parse_stream(&stream);
    wiring(&objects, &Lab::load(&lab).unwrap());
}

fn parse_stream(stream: &str) -> Vec<Object> {
    stream
        .split("\n---\n")
        .map(|doc| Object::from_yaml(doc).unwrap_or_else(|e| panic!("{e}:\n{doc}")))
        .collect()
}

fn committed_objects() -> Vec<Object> {
    yaml_files(&root().join(BASE))
        .into_iter()
        .filter(|(name, _)| name != "kustomization.yaml")
        .map(|(name, text)| Object::from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

#[test]
fn the_base_is_wired_as_the_shops_lab_file_says() {
    let lab = Lab::load(&root().join(SHOP)).unwrap();
    wiring(&committed_objects(), &lab);
}

/// The objects in one place, by kind and name.
struct Index<'a> {
    deployments: BTreeMap<&'a str, &'a Deployment>,
    services: BTreeMap<&'a str, &'a Service>,
    config_maps: BTreeMap<&'a str, &'a ConfigMap>,
}

impl<'a> Index<'a> {
    fn new(objects: &'a [Object]) -> Self {
        let mut ix = Index {
            deployments: BTreeMap::new(),
            services: BTreeMap::new(),
            config_maps: BTreeMap::new(),
        };
        for o in objects {
            match o {
                Object::Deployment(d) => drop(ix.deployments.insert(o.name(), d)),
                Object::Service(s) => drop(ix.services.insert(o.name(), s)),
                Object::ConfigMap(c) => drop(ix.config_maps.insert(o.name(), c)),
                _ => {}
            }
        }
        ix
    }

    fn container(&self, deployment: &str) -> &'a Container {
        let d = self
            .deployments
            .get(deployment)
            .unwrap_or_else(|| panic!("no Deployment {deployment}"));
        &d.spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
    }

    /// The Deployment a Service's selector picks, and the container port
    /// its `port` reaches, for `host:port`.
    fn route(&self, host_port: &str) -> (&'a str, i32) {
        let (host, port) = host_port.rsplit_once(':').unwrap();
        let port: i32 = port.parse().unwrap();
        let svc = self
            .services
            .get(host)
            .unwrap_or_else(|| panic!("{host_port}: no Service {host}"));
        let spec = svc.spec.as_ref().unwrap();
        let sp = spec
            .ports
            .iter()
            .flatten()
            .find(|p| p.port == port)
            .unwrap_or_else(|| panic!("{host_port}: Service {host} has no port {port}"));
        let target = match sp.target_port.as_ref() {
            Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(p)) => *p,
            _ => port,
        };
        let selector = spec.selector.as_ref().unwrap();
        let picked: Vec<&str> = self
            .deployments
            .iter()
            .filter(|(_, d)| {
                let labels = d
                    .spec
                    .as_ref()
                    .unwrap()
                    .template
                    .metadata
                    .as_ref()
                    .unwrap()
                    .labels
                    .as_ref()
                    .unwrap();
                selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            picked.len(),
            1,
            "{host_port}: Service {host} selects {picked:?}"
        );
        let c = self.container(picked[0]);
        assert!(
            c.ports.iter().flatten().any(|p| p.container_port == target),
            "{host_port}: {} listens on no port {target}",
            picked[0]
        );
        (picked[0], target)
    }
}

fn host_port(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split('/').next().unwrap()
}

fn wiring(objects: &[Object], lab: &Lab) {
    let ix = Index::new(objects);
    let populate = &ix.config_maps["agent-proxies"].data.as_ref().unwrap()["proxies.json"];
    let proxies: Vec<serde_json::Value> = serde_json::from_str(populate).unwrap();
    for svc in lab
        .services
        .values()
        .filter(|s| lab.supervised().contains(&s.name.as_str()))
    {
        let c = ix.container(&k8s_name(&svc.name));
        let args = c.args.clone().unwrap_or_default();
        let mut deps: BTreeMap<String, String> = args
            .windows(2)
            .filter(|w| w[0] == "--dep")
            .map(|w| {
                let (n, u) = w[1].split_once('=').unwrap();
                (n.to_string(), u.to_string())
            })
            .collect();
        for e in c.env.iter().flatten() {
            if let Some(n) = e.name.strip_prefix("CHAOSLAB_DEP_") {
                deps.insert(
                    n.to_ascii_lowercase().replace('_', "-"),
                    e.value.clone().unwrap(),
                );
            }
        }
        let mut want: Vec<&str> = lab.dependencies_of(&svc.name);
        want.sort();
        assert_eq!(
            deps.keys().map(String::as_str).collect::<Vec<_>>(),
            want,
            "{}: the dependencies it is given",
            svc.name
        );
        for (dep, url) in &deps {
            // The URL is a Service in front of the agent, on a proxy's port...
            let (pod, port) = ix.route(host_port(url));
            assert_eq!(
                pod, "agent",
                "{}: {dep}'s URL {url} does not reach the agent",
                svc.name
            );
            let proxy = proxies
                .iter()
                .find(|p| p["listen"].as_str().unwrap().ends_with(&format!(":{port}")))
                .unwrap_or_else(|| panic!("{url}: no proxy listens on {port}"));
            // ...of the proxy named after the dependency, which forwards to it.
            assert_eq!(proxy["name"], dep.as_str(), "{url}");
            let (callee, _) = ix.route(proxy["upstream"].as_str().unwrap());
            assert_eq!(callee, k8s_name(dep), "proxy {dep} forwards to {callee}");
        }
    }
    scraping(&ix, lab);
    files_are_mounted(objects, &ix);
    commands_exist(objects, &ix);
}

/// Every service with a metrics path is a Prometheus job and a hub target
/// that reaches it.
fn scraping(ix: &Index, lab: &Lab) {
    let prom: serde_json::Value = serde_saphyr::from_str(
        &ix.config_maps["prometheus"].data.as_ref().unwrap()["prometheus.yml"],
    )
    .unwrap();
    // The rules Prometheus loads are every file of the rules ConfigMap.
    let glob = prom["rule_files"][0].as_str().unwrap();
    let dir = glob
        .strip_suffix("/*.yml")
        .expect("rule_files is DIR/*.yml");
    let prom_pod = ix.deployments["prometheus"]
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    let mount = prom_pod.containers[0]
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| dir.starts_with(&m.mount_path))
        .expect("the rules' folder is mounted");
    let sub = dir[mount.mount_path.len()..].trim_start_matches('/');
    let volume = prom_pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)
        .unwrap();
    let mounted: Vec<String> = volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
        .filter_map(|s| s.config_map.as_ref())
        .filter(|c| c.name == "prometheus-rules")
        .flat_map(|c| c.items.iter().flatten())
        .map(|i| i.path.clone())
        .collect();
    let rules = ix.config_maps["prometheus-rules"].data.as_ref().unwrap();
    assert!(!rules.is_empty());
    for key in rules.keys() {
        assert!(
            mounted.contains(&format!("{sub}/{key}")),
            "rule file {key} is not in {dir}: {mounted:?}"
        );
    }
    let hub_args = ix.container("hub").args.clone().unwrap();
    for svc in lab.services.values().filter(|s| s.metrics.is_some()) {
        let job = prom["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job_name"] == svc.name.as_str())
            .unwrap_or_else(|| panic!("Prometheus does not scrape {}", svc.name));
        assert_eq!(job["metrics_path"].as_str(), svc.metrics.as_deref());
        let target = job["static_configs"][0]["targets"][0].as_str().unwrap();
        if lab.supervised().contains(&svc.name.as_str()) {
            assert_eq!(ix.route(target).0, k8s_name(&svc.name), "job {}", svc.name);
        }
        let hub = hub_args
            .iter()
            .find(|a| a.starts_with(&format!("{}=", svc.name)))
            .unwrap_or_else(|| panic!("the hub does not scrape {}", svc.name));
        assert!(
            hub.ends_with(&format!("{target}{}", svc.metrics.as_deref().unwrap())),
            "{hub}"
        );
    }
}

/// Every absolute path a container is given (`--populate`, `--lab`,
/// `--config.file=`) is a key of a ConfigMap mounted there.
fn files_are_mounted(objects: &[Object], ix: &Index) {
    for o in objects {
        let Object::Deployment(d) = o else { continue };
        let pod = d.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
        let c = &pod.containers[0];
        let paths = c.args.iter().flatten().filter_map(|a| {
            let v = a.rsplit_once('=').map_or(a.as_str(), |(_, v)| v);
            (v.starts_with("/etc/")).then_some(v)
        });
        for path in paths {
            // The deepest mount holding the path, and the path inside it.
            let mount = c
                .volume_mounts
                .iter()
                .flatten()
                .filter(|m| path.starts_with(&format!("{}/", m.mount_path)))
                .max_by_key(|m| m.mount_path.len())
                .unwrap_or_else(|| panic!("{}: nothing is mounted for {path}", o.name()));
            let inside = &path[mount.mount_path.len() + 1..];
            let volume = pod
                .volumes
                .iter()
                .flatten()
                .find(|v| v.name == mount.name)
                .unwrap();
            // (ConfigMap, key, path in the volume) of what the volume holds.
            let mut files: Vec<(String, String, String)> = Vec::new();
            if let Some(cm) = &volume.config_map {
                let data = ix
                    .config_maps
                    .get(cm.name.as_str())
                    .unwrap_or_else(|| panic!("no ConfigMap {}", cm.name));
                for k in data.data.iter().flatten().map(|(k, _)| k) {
                    files.push((cm.name.clone(), k.clone(), k.clone()));
                }
            }
            for src in volume
                .projected
                .iter()
                .flat_map(|p| p.sources.iter().flatten())
            {
                let Some(cm) = &src.config_map else { continue };
                for item in cm.items.iter().flatten() {
                    files.push((cm.name.clone(), item.key.clone(), item.path.clone()));
                }
            }
            let (cm, key, _) = files
                .iter()
                .find(|(_, _, p)| p == inside)
                .unwrap_or_else(|| {
                    panic!("{}: volume {} holds no {inside}", o.name(), volume.name)
                });
            let data = ix
                .config_maps
                .get(cm.as_str())
                .unwrap_or_else(|| panic!("no ConfigMap {cm}"));
            assert!(
                data.data.as_ref().unwrap().contains_key(key),
                "{}: ConfigMap {cm} has no {key}",
                o.name()
            );
        }
    }
}

/// Every container of the chaoslab image runs a subcommand of the binary,
/// with flags that subcommand has (checked against its --help).
fn commands_exist(objects: &[Object], ix: &Index) {
    let image = ix.container("agent").image.clone().unwrap();
    let top = chaoslab(&["--help"]);
    let mut checked = 0;
    for o in objects {
        let Object::Deployment(_) = o else { continue };
        let c = ix.container(o.name());
        if c.image.as_ref() != Some(&image) {
            continue;
        }
        assert!(
            c.command.is_none(),
            "{}: the image's entrypoint is chaoslab",
            o.name()
        );
        let args = c.args.clone().unwrap();
        let sub = &args[0];
        assert!(
            top.lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "{}: chaoslab has no subcommand {sub}",
            o.name()
        );
        let help = chaoslab(&[sub, "--help"]);
        for flag in args.iter().filter(|a| a.starts_with("--")) {
            let has = help
                .split(|c: char| c.is_whitespace() || c == ',')
                .any(|w| w == flag);
            assert!(has, "{}: chaoslab {sub} has no {flag}", o.name());
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} containers of {image}");
}
