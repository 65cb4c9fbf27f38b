//! The checks that need no running lab: dashboard structure, data source
//! uids, and that every query (panels, variables, annotations, rules) parses
//! and refers only to metrics, labels and label values the lab emits.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::dashboard::{self, Dashboard};
use crate::error::CheckError;
use crate::known::Vocabulary;
use crate::layout::Layout;
use crate::promql::{self, Vars};
use crate::queries::{self, Place};
use crate::{provisioning, rules};

/// Dashboard schema versions accepted (Grafana 8 migrates from 27 on; 41 is
/// Grafana 12's).
pub const SCHEMA_VERSIONS: std::ops::RangeInclusive<u64> = 27..=41;

/// Data source uids Grafana provides itself.
const BUILTIN_DATASOURCES: &[&str] =
    &["grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"];

/// One problem, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub file: PathBuf,
    /// Dashboard title and panel, or rule group and rule.
    pub place: String,
    pub query: Option<String>,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.place,
            self.message
        )?;
        if let Some(q) = &self.query {
            write!(f, "\n    query: {q}")?;
        }
        Ok(())
    }
}

/// What the static check looked at and found.
#[derive(Debug, Clone, Default)]
pub struct StaticReport {
    pub dashboards: usize,
    pub panels: usize,
    pub queries: usize,
    pub rules: usize,
    pub findings: Vec<Finding>,
}

/// Checks dashboards and rules under `layout`; files that cannot be read at
/// all are an error, everything else is a finding.
pub fn check(layout: &Layout) -> Result<StaticReport, CheckError> {
    let dashboards = dashboard::load_dir(&layout.dashboards)?;
    let rule_files = rules::load_dir(&layout.rules)?;
    let uids = provisioning::datasource_uids(&layout.datasources)?;
    let lab = chaoslab_contract::Lab::load(&layout.lab)?;
    Ok(check_loaded(&dashboards, &rule_files, &uids, &lab))
}

/// The checks on already loaded files (the unit tests call this).
pub fn check_loaded(
    dashboards: &[Dashboard],
    rule_files: &[rules::RuleFile],
    datasource_uids: &BTreeSet<String>,
    lab: &chaoslab_contract::Lab,
) -> StaticReport {
    let mut vocab = Vocabulary::new(&rules::recorded_names(rule_files), lab);
    for r in rule_files
        .iter()
        .flat_map(|f| &f.groups)
        .flat_map(|g| &g.rules)
    {
        vocab.labels.extend(r.labels.keys().cloned());
    }
    let mut report = StaticReport::default();
    let mut dash_uids = BTreeSet::new();
    for d in dashboards {
        report.dashboards += 1;
        let mut add = |place: String, query: Option<&str>, message: String| {
            report.findings.push(Finding {
                file: d.file.clone(),
                place,
                query: query.map(str::to_string),
                message,
            })
        };
        let title = format!("dashboard {:?}", d.title);
        if d.uid.is_empty() || !dash_uids.insert(d.uid.clone()) {
            add(
                title.clone(),
                None,
                format!("missing or duplicate dashboard uid {:?}", d.uid),
            );
        }
        match d.schema_version {
            Some(v) if SCHEMA_VERSIONS.contains(&v) => {}
            other => add(
                title.clone(),
                None,
                format!("schemaVersion {other:?} not in {SCHEMA_VERSIONS:?}"),
            ),
        }
        let mut ids = BTreeSet::new();
        for p in &d.panels {
            let place = format!("{title} panel {:?}", p.title);
            match p.id {
                Some(id) if ids.insert(id) => {}
                id => add(
                    place.clone(),
                    None,
                    format!("missing or duplicate panel id {id:?}"),
                ),
            }
            if p.kind != "row" && p.kind != "text" && p.targets.is_empty() {
                add(place, None, "panel has no query".to_string());
            }
        }
        report.panels += d.panels.iter().filter(|p| p.kind != "row").count();
        let vars = queries::static_vars(d);
        for q in queries::of(d) {
            report.queries += 1;
            let place = format!("{title} {}", q.place);
            match q.datasource.as_deref() {
                Some(uid)
                    if datasource_uids.contains(uid) || BUILTIN_DATASOURCES.contains(&uid) => {}
                Some(uid) => add(
                    place.clone(),
                    Some(&q.expr),
                    format!("data source uid {uid:?} is not provisioned"),
                ),
                None => add(
                    place.clone(),
                    Some(&q.expr),
                    "names no data source uid".to_string(),
                ),
            }
            let Some(promql) = q.promql() else { continue };
            for message in query_problems(&promql, &vars, &vocab) {
                add(place.clone(), Some(&q.expr), message);
            }
            if let Place::Variable(_) = q.place
                && let promql::VariableQuery::LabelValues { label, .. } =
                    promql::variable_query(&q.expr)
                && !vocab.labels.contains(&label)
            {
                add(place, Some(&q.expr), format!("unknown label {label}"));
            }
        }
    }
    let vars = promql::builtin_vars();
    for f in rule_files {
        for g in &f.groups {
            for r in &g.rules {
                report.rules += 1;
                for message in query_problems(&r.expr, &vars, &vocab) {
                    report.findings.push(Finding {
                        file: f.file.clone(),
                        place: format!("group {:?} rule {}", g.name, r.name()),
                        query: Some(r.expr.clone()),
                        message,
                    });
                }
            }
        }
    }
    report
}

/// Why `expr` is wrong, if it is: a syntax error, a variable left
/// undefined, a metric, label or label value the lab does not emit.
pub fn query_problems(expr: &str, vars: &Vars, vocab: &Vocabulary) -> Vec<String> {
    let text = promql::substitute(expr, vars);
    if let Some(pos) = text.find('$') {
        let name: String = text[pos..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '$' | '_' | '{' | '}' | ':'))
            .collect();
        return vec![format!("undefined variable {name}")];
    }
    let refs = match promql::refs(&text) {
        Ok(r) => r,
        Err(e) => return vec![format!("PromQL does not parse: {}", e.trim())],
    };
    let mut out = Vec::new();
    for m in refs.metrics.iter().filter(|m| !vocab.metrics.contains(*m)) {
        out.push(format!(
            "metric {m} is not emitted by any component of the lab"
        ));
    }
    for l in refs.labels.iter().filter(|l| !vocab.labels.contains(*l)) {
        out.push(format!(
            "label {l} is not emitted by any component of the lab"
        ));
    }
    for m in &refs.matches {
        if let Some(why) = vocab.bad_value(&m.metric, &m.label, m.op, &m.value) {
            out.push(why);
        }
    }
    out
}

/// Reads the files under `root` and runs [`check`]: the entry point of
/// `chaoslab-dashcheck static`.
pub fn check_dir(root: &Path) -> Result<StaticReport, CheckError> {
    check(&Layout::new(root))
}
