//! The compose file: it parses, and every file it builds from or mounts
//! exists; the services it depends on exist; every published port has a
//! name; every host Prometheus scrapes in the docker config is one of its
//! services.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::CheckError;
use crate::static_check::Finding;

fn read_yaml(path: &Path) -> Result<Value, CheckError> {
    let raw = std::fs::read_to_string(path).map_err(|e| CheckError::io(path, e))?;
    serde_saphyr::from_str(&raw).map_err(|e| CheckError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// What the compose check looked at.
#[derive(Debug, Clone, Default)]
pub struct ComposeReport {
    pub services: BTreeSet<String>,
    pub paths_checked: usize,
    pub findings: Vec<Finding>,
}

/// Checks `compose` (and, if given, that `prometheus`'s scrape targets are
/// compose services).
pub fn check(compose: &Path, prometheus: Option<&Path>) -> Result<ComposeReport, CheckError> {
    let doc = read_yaml(compose)?;
    let base = compose.parent().unwrap_or(Path::new("."));
    let mut report = ComposeReport::default();
    let services = doc
        .get("services")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    report.services = services.keys().cloned().collect();
    let mut finding = |place: String, message: String| {
        report.findings.push(Finding {
            file: compose.to_path_buf(),
            place,
            query: None,
            message,
        })
    };
    if services.is_empty() {
        finding("services".into(), "no services".into());
    }
    let mut must_exist: Vec<(String, PathBuf)> = Vec::new();
    for (name, svc) in &services {
        let place = format!("service {name}");
        match svc.get("build") {
            Some(Value::String(ctx)) => must_exist.push((place.clone(), base.join(ctx))),
            Some(b) => {
                let ctx = base.join(b.get("context").and_then(Value::as_str).unwrap_or("."));
                let file = b
                    .get("dockerfile")
                    .and_then(Value::as_str)
                    .unwrap_or("Dockerfile");
                must_exist.push((place.clone(), ctx.join(file)));
                must_exist.push((place.clone(), ctx));
            }
            None => {}
        }
        for p in svc
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p.get("name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                finding(place.clone(), format!("published port {p} has no name"));
            }
        }
        for v in svc
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let source = match v {
                Value::String(s) => s.split(':').next().map(str::to_string),
                Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("bind") => {
                    o.get("source").and_then(Value::as_str).map(str::to_string)
                }
                _ => None,
            };
            if let Some(s) = source.filter(|s| s.starts_with('.') || s.starts_with('/')) {
                must_exist.push((place.clone(), base.join(s)));
            }
        }
        let deps: Vec<String> = match svc.get("depends_on") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::Object(o)) => o.keys().cloned().collect(),
            _ => Vec::new(),
        };
        for d in deps.iter().filter(|d| !report.services.contains(*d)) {
            finding(
                place.clone(),
                format!("depends on {d}, which is not a service"),
            );
        }
    }
    for (place, path) in must_exist {
        report.paths_checked += 1;
        if !path.exists() {
            finding(place, format!("{} does not exist", path.display()));
        }
    }
    if let Some(prom) = prometheus {
        let cfg = read_yaml(prom)?;
        for host in scrape_hosts(&cfg) {
            if !report.services.contains(&host) {
                report.findings.push(Finding {
                    file: prom.to_path_buf(),
                    place: "scrape_configs".into(),
                    query: None,
                    message: format!("scrapes {host}, which is not a compose service"),
                });
            }
        }
    }
    Ok(report)
}

/// The host part of every static scrape target.
fn scrape_hosts(cfg: &Value) -> BTreeSet<String> {
    let jobs = cfg
        .get("scrape_configs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    jobs.iter()
        .flat_map(|j| {
            j.get("static_configs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|s| {
            s.get("targets")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|t| {
            t.as_str()
                .and_then(|t| t.split(':').next())
                .map(str::to_string)
        })
        .filter(|h| h != "localhost" && h != "127.0.0.1")
        .collect()
}

/// Checks that every flag the compose file passes to the lab's binary is one
/// that binary's subcommand takes, by reading `chaoslab <subcommand> --help`.
/// Services whose image is not built from this repository are skipped.
pub fn check_flags(compose: &Path, chaoslab: &Path) -> Result<Vec<Finding>, CheckError> {
    let doc = read_yaml(compose)?;
    let services = doc
        .get("services")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, svc) in &services {
        if svc.get("build").is_none() {
            continue;
        }
        let words: Vec<String> = svc
            .get("command")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect();
        let Some(sub) = words.first() else { continue };
        let help = std::process::Command::new(chaoslab)
            .args([sub.as_str(), "--help"])
            .output()
            .map_err(|e| CheckError::io(chaoslab, e))?;
        let text = String::from_utf8_lossy(&help.stdout);
        let place = format!("service {name}");
        if !help.status.success() {
            let message = format!(
                "`chaoslab {sub}` is not a subcommand of {}",
                chaoslab.display()
            );
            out.push(Finding {
                file: compose.to_path_buf(),
                place,
                query: None,
                message,
            });
            continue;
        }
        let known = |flag: &str| {
            text.split(|c: char| c.is_whitespace() || c == ',' || c == '=')
                .any(|w| w == flag)
        };
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            if !known(flag) {
                out.push(Finding {
                    file: compose.to_path_buf(),
                    place: place.clone(),
                    query: None,
                    message: format!("`chaoslab {sub}` takes no flag {flag}"),
                });
            }
        }
    }
    Ok(out)
}
