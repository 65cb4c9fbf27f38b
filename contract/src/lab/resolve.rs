//! From the file's shape to the lab model: every check that needs the whole
//! file (names, kinds, ports, dependencies, cycles, the entry service).

use super::{
    Broker, DEFAULT_READY_TIMEOUT, Dependency, Lab, Prepare, RESERVED_NAMES, Run, Service, command,
    journeys,
    raw::{RawLab, RawPrepare, RawService},
    resilience::Resilience,
};
use crate::{FileError, ProxyMode, error::Locator};
use std::{collections::BTreeMap, path::Path, time::Duration};
use toml::Spanned;

pub(super) fn lab(file: &str, text: &str, dir: &Path) -> Result<Lab, FileError> {
    let at = Locator::new(file, text);
    let raw: RawLab = toml::from_str(text).map_err(|e| at.toml(&e))?;
    if raw.services.is_empty() {
        return Err(at.error(
            Some(0..0),
            "services",
            "a lab needs at least one service ([services.NAME])",
        ));
    }
    let mut services = BTreeMap::new();
    for (name, svc) in &raw.services {
        let s = service(name, svc, dir, &at)?;
        services.insert(s.name.clone(), s);
    }
    dependencies(&raw, &services, &at)?;
    let start_order = order(&raw, &services, &at)?;
    ports(&raw, &at)?;
    let entry = entry(&raw, &services, &at)?;
    let mut resilience = Resilience::default();
    resilience.add_defaults(raw.defaults.as_ref(), &at)?;
    for (name, svc) in &raw.services {
        let s = svc.get_ref();
        let deps = services[name.get_ref()].dependency_names();
        resilience.add_service(name, s.settings(), &s.dependencies, &deps, &at)?;
    }
    let load = journeys::load(raw.load.as_ref(), &at)?;
    let hub = super::hub::settings(raw.hub.as_ref(), &at)?;
    Ok(Lab {
        file: file.into(),
        dir: dir.to_path_buf(),
        services,
        entry,
        load,
        resilience,
        hub,
        start_order,
    })
}

fn service(
    name: &Spanned<String>,
    raw: &Spanned<RawService>,
    dir: &Path,
    at: &Locator,
) -> Result<Service, FileError> {
    let n = name.get_ref();
    let key = format!("services.{n}");
    if n.is_empty()
        || !n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(at.error(
            Some(name.span()),
            &key,
            "a service name is lowercase letters, digits, `-` and `_`",
        ));
    }
    if RESERVED_NAMES.contains(&n.as_str()) {
        return Err(at.error(
            Some(name.span()),
            &key,
            format!(
                "`{n}` is one of the lab's own processes ({}); name the service otherwise",
                RESERVED_NAMES.join(", ")
            ),
        ));
    }
    let s = raw.get_ref();
    let kinds = [
        s.builtin.is_some(),
        s.command.is_some(),
        s.url.is_some(),
        s.broker.is_some(),
    ];
    match kinds.iter().filter(|k| **k).count() {
        1 => {}
        0 => {
            return Err(at.error(
                Some(name.span()),
                &key,
                "say how it runs: one of `command` (a program to start), `url` (already running), `builtin` (a shop service) or `broker` (a message broker the lab runs)",
            ));
        }
        _ => {
            return Err(at.error(
                Some(raw.span()),
                &key,
                "give only one of `command`, `url`, `builtin` and `broker`",
            ));
        }
    }
    let deps: Vec<String> = s
        .depends_on
        .iter()
        .flat_map(|d| d.get_ref())
        .map(|d| {
            d.get_ref()
                .read()
                .map(|(n, _)| n)
                .map_err(|m| at.error(Some(d.span()), format!("{key}.depends_on"), m))
        })
        .collect::<Result<_, _>>()?;
    let only_command = [
        ("env", s.env.as_ref().map(|e| e.span())),
        ("dir", s.dir.as_ref().map(|e| e.span())),
        ("prepare", s.prepare.as_ref().map(|e| e.span())),
    ];
    if s.command.is_none()
        && let Some((k, span)) = only_command.iter().find(|(_, sp)| sp.is_some())
    {
        return Err(at.error(
            span.clone(),
            format!("{key}.{k}"),
            "only a `command` service has an environment, a working directory and a set-up step",
        ));
    }
    let run = if let Some(b) = &s.builtin {
        Run::Builtin(b.get_ref().clone())
    } else if let Some(b) = &s.broker {
        let broker = Broker::parse(b.get_ref())
            .map_err(|m| at.error(Some(b.span()), format!("{key}.broker"), m))?;
        let not_for_broker = [
            ("depends_on", s.depends_on.as_ref().map(|d| d.span())),
            ("health", s.health.as_ref().map(|d| d.span())),
            ("metrics", s.metrics.as_ref().map(|d| d.span())),
        ];
        if let Some((k, span)) = not_for_broker.iter().find(|(_, sp)| sp.is_some()) {
            return Err(at.error(
                span.clone(),
                format!("{key}.{k}"),
                "a broker calls nobody and speaks its own protocol: it is ready when its port accepts connections; drop this key",
            ));
        }
        Run::Broker(broker)
    } else if let Some(url) = &s.url {
        if let Some(d) = &s.depends_on
            && !d.get_ref().is_empty()
        {
            return Err(at.error(
                Some(d.span()),
                format!("{key}.depends_on"),
                "a `url` service is not started by the lab, so its calls cannot be sent through proxies; drop depends_on",
            ));
        }
        let (host, port) = parse_url(url.get_ref())
            .map_err(|m| at.error(Some(url.span()), format!("{key}.url"), m))?;
        Run::Url {
            url: url.get_ref().trim_end_matches('/').to_string(),
            host,
            port,
        }
    } else {
        let cmd = s.command.as_ref().expect("one kind is set");
        let argv: Vec<String> = cmd.get_ref().iter().map(|a| a.get_ref().clone()).collect();
        if argv.first().is_none_or(|p| p.trim().is_empty()) {
            return Err(at.error(
                Some(cmd.span()),
                format!("{key}.command"),
                "a command is a list: the program, then its arguments",
            ));
        }
        let work = match &s.dir {
            // `../services/x` read as the folder it names, when it exists.
            Some(d) => std::fs::canonicalize(dir.join(d.get_ref()))
                .unwrap_or_else(|_| dir.join(d.get_ref())),
            None => dir.to_path_buf(),
        };
        let prepare = match &s.prepare {
            Some(p) => Some(
                prepare(p.get_ref(), &work)
                    .map_err(|m| at.error(Some(p.span()), format!("{key}.prepare"), m))?,
            ),
            None => None,
        };
        let prepared = prepare.is_some();
        for a in cmd.get_ref() {
            command::check_placeholders(a.get_ref(), &deps, prepared)
                .map_err(|m| at.error(Some(a.span()), format!("{key}.command"), m))?;
        }
        let mut env = BTreeMap::new();
        if let Some(e) = &s.env {
            for (k, v) in e.get_ref() {
                command::check_placeholders(v.get_ref(), &deps, prepared)
                    .map_err(|m| at.error(Some(v.span()), format!("{key}.env.{k}"), m))?;
                env.insert(k.clone(), v.get_ref().clone());
            }
        }
        Run::Command {
            argv,
            env,
            dir: work,
            prepare,
        }
    };
    let port = port_value(s.port.as_ref(), &format!("{key}.port"), at)?;
    let port = match &run {
        Run::Url { port: p, .. } => {
            if let Some(sp) = &s.port {
                return Err(at.error(
                    Some(sp.span()),
                    format!("{key}.port"),
                    "a `url` service's port is the URL's",
                ));
            }
            Some(*p)
        }
        _ => port,
    };
    let proxy_port = port_value(s.proxy_port.as_ref(), &format!("{key}.proxy_port"), at)?;
    let path = |v: &Option<Spanned<String>>, k: &str| -> Result<Option<String>, FileError> {
        match v {
            Some(p) if !p.get_ref().starts_with('/') => Err(at.error(
                Some(p.span()),
                format!("{key}.{k}"),
                format!("`{}` must be a path starting with `/`", p.get_ref()),
            )),
            v => Ok(v.as_ref().map(|p| p.get_ref().clone())),
        }
    };
    let builtin = matches!(run, Run::Builtin(_));
    let health = path(&s.health, "health")?.or_else(|| builtin.then(|| "/health/ready".into()));
    let metrics = path(&s.metrics, "metrics")?.or_else(|| builtin.then(|| "/metrics".into()));
    let ready_timeout = match &s.ready_timeout_ms {
        None => DEFAULT_READY_TIMEOUT,
        Some(t) if *t.get_ref() <= 0 => {
            return Err(at.error(
                Some(t.span()),
                format!("{key}.ready_timeout_ms"),
                format!("must be > 0, got {}", t.get_ref()),
            ));
        }
        Some(t) => Duration::from_millis(*t.get_ref() as u64),
    };
    let mut depends_on: Vec<Dependency> = Vec::new();
    for d in s.depends_on.iter().flat_map(|d| d.get_ref()) {
        let (dep, mode) = d
            .get_ref()
            .read()
            .map_err(|m| at.error(Some(d.span()), format!("{key}.depends_on"), m))?;
        if depends_on.iter().any(|x| x.name == dep) {
            return Err(at.error(
                Some(d.span()),
                format!("{key}.depends_on"),
                format!("`{dep}` is listed twice"),
            ));
        }
        if dep == *n {
            return Err(at.error(
                Some(d.span()),
                format!("{key}.depends_on"),
                format!("dependency cycle: {n} -> {n}"),
            ));
        }
        depends_on.push(Dependency { name: dep, mode });
    }
    Ok(Service {
        name: n.clone(),
        run,
        port,
        proxy_port,
        health,
        metrics,
        ready_timeout,
        depends_on,
    })
}

/// `{ python_requirements = FILE }` or `{ npm = FILE }`, the file relative
/// to the service's working directory `dir`.
fn prepare(raw: &RawPrepare, dir: &Path) -> Result<Prepare, String> {
    let file = |f: &str| -> Result<std::path::PathBuf, String> {
        if f.trim().is_empty() {
            return Err("the lock file's path is empty".into());
        }
        Ok(dir.join(f))
    };
    match (&raw.python_requirements, &raw.npm) {
        (Some(r), None) => Ok(Prepare::PythonRequirements {
            requirements: file(r)?,
        }),
        (None, Some(l)) => Ok(Prepare::Npm { lock: file(l)? }),
        (None, None) => Err(
            "say what to prepare: `python_requirements = \"requirements.txt\"` (a venv) or `npm = \"package-lock.json\"` (npm ci)"
                .into(),
        ),
        (Some(_), Some(_)) => Err("give only one of `python_requirements` and `npm`".into()),
    }
}

fn port_value(v: Option<&Spanned<i64>>, key: &str, at: &Locator) -> Result<Option<u16>, FileError> {
    match v {
        None => Ok(None),
        Some(p) if *p.get_ref() == 0 => Ok(None),
        Some(p) if (1..=65535).contains(p.get_ref()) => Ok(Some(*p.get_ref() as u16)),
        Some(p) => Err(at.error(
            Some(p.span()),
            key,
            format!(
                "{} is not a port (1-65535, or 0 for a free one)",
                p.get_ref()
            ),
        )),
    }
}

/// `http://HOST:PORT[/]` into host and port.
fn parse_url(url: &str) -> Result<(String, u16), String> {
    let bad = || format!("`{url}`: write it as http://HOST:PORT");
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("`{url}`: only http:// URLs can be proxied (write it as http://HOST:PORT)")
    })?;
    let rest = rest.trim_end_matches('/');
    if rest.contains('/') {
        return Err(format!(
            "`{url}`: give the service's base URL without a path (health and metrics take paths)"
        ));
    }
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

/// Every dependency names a service; one callee has one proxy mode.
fn dependencies(
    raw: &RawLab,
    services: &BTreeMap<String, Service>,
    at: &Locator,
) -> Result<(), FileError> {
    let mut modes: BTreeMap<&str, (ProxyMode, &str)> = BTreeMap::new();
    for (name, svc) in &raw.services {
        let Some(list) = &svc.get_ref().depends_on else {
            continue;
        };
        let key = format!("services.{}.depends_on", name.get_ref());
        for (d, raw_dep) in services[name.get_ref()]
            .depends_on
            .iter()
            .zip(list.get_ref())
        {
            if !services.contains_key(&d.name) {
                let known: Vec<&str> = services.keys().map(String::as_str).collect();
                return Err(at.error(
                    Some(raw_dep.span()),
                    &key,
                    format!(
                        "unknown service `{}`; the lab has: {}",
                        d.name,
                        known.join(", ")
                    ),
                ));
            }
            if services[&d.name].broker().is_some() && d.mode != ProxyMode::Tcp {
                return Err(at.error(
                    Some(raw_dep.span()),
                    &key,
                    format!(
                        "{0} is a broker, which speaks its own protocol, not HTTP: write {{ name = \"{0}\", proxy = \"tcp\" }}",
                        d.name
                    ),
                ));
            }
            match modes.get(d.name.as_str()) {
                Some((m, other)) if *m != d.mode => {
                    return Err(at.error(
                        Some(raw_dep.span()),
                        &key,
                        format!(
                            "{} has one proxy; {other} reaches it in {} mode, {} in {} mode",
                            d.name,
                            m.as_str(),
                            name.get_ref(),
                            d.mode.as_str()
                        ),
                    ));
                }
                _ => {
                    modes.insert(&d.name, (d.mode, name.get_ref()));
                }
            }
        }
    }
    Ok(())
}

/// Callees first; a cycle is an error naming it.
fn order(
    raw: &RawLab,
    services: &BTreeMap<String, Service>,
    at: &Locator,
) -> Result<Vec<String>, FileError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit<'a>(
        n: &'a str,
        services: &'a BTreeMap<String, Service>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
        out: &mut Vec<String>,
    ) -> Result<(), Vec<String>> {
        match marks.get(n).copied().unwrap_or(Mark::New) {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = path.iter().position(|p| *p == n).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                cycle.push(n.to_string());
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks.insert(n, Mark::Open);
        path.push(n);
        for d in &services[n].depends_on {
            visit(&d.name, services, marks, path, out)?;
        }
        path.pop();
        marks.insert(n, Mark::Done);
        out.push(n.to_string());
        Ok(())
    }
    let mut marks = BTreeMap::new();
    let mut out = Vec::new();
    for n in services.keys() {
        visit(n, services, &mut marks, &mut Vec::new(), &mut out).map_err(|cycle| {
            let first = &cycle[0];
            let span = raw
                .services
                .iter()
                .find(|(k, _)| k.get_ref() == first)
                .and_then(|(_, v)| v.get_ref().depends_on.as_ref().map(|d| d.span()));
            at.error(
                span,
                format!("services.{first}.depends_on"),
                format!("dependency cycle: {}", cycle.join(" -> ")),
            )
        })?;
    }
    Ok(out)
}

/// No two fixed ports alike.
fn ports(raw: &RawLab, at: &Locator) -> Result<(), FileError> {
    let mut seen: BTreeMap<i64, String> = BTreeMap::new();
    for (name, svc) in &raw.services {
        let s = svc.get_ref();
        for (k, p) in [("port", &s.port), ("proxy_port", &s.proxy_port)] {
            let Some(p) = p.as_ref().filter(|p| *p.get_ref() != 0) else {
                continue;
            };
            let key = format!("services.{}.{k}", name.get_ref());
            if let Some(other) = seen.insert(*p.get_ref(), key.clone()) {
                return Err(at.error(
                    Some(p.span()),
                    key,
                    format!("port {} is already {other}", p.get_ref()),
                ));
            }
        }
    }
    Ok(())
}

/// `entry`, else the one service nobody depends on.
fn entry(
    raw: &RawLab,
    services: &BTreeMap<String, Service>,
    at: &Locator,
) -> Result<String, FileError> {
    if let Some(e) = &raw.entry {
        if !services.contains_key(e.get_ref()) {
            let known: Vec<&str> = services.keys().map(String::as_str).collect();
            return Err(at.error(
                Some(e.span()),
                "entry",
                format!(
                    "unknown service `{}`; the lab has: {}",
                    e.get_ref(),
                    known.join(", ")
                ),
            ));
        }
        return Ok(e.get_ref().clone());
    }
    let roots: Vec<&str> = services
        .keys()
        .filter(|n| {
            !services
                .values()
                .any(|s| s.depends_on.iter().any(|d| &d.name == *n))
        })
        .map(String::as_str)
        .collect();
    match roots.as_slice() {
        [one] => Ok(one.to_string()),
        many => Err(at.error(
            Some(0..0),
            "entry",
            format!(
                "nobody depends on {}: say which one the load goes to with `entry = \"NAME\"`",
                many.join(", ")
            ),
        )),
    }
}
