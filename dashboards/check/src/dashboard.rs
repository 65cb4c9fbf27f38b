//! Reading Grafana dashboard JSON into what the checks need: panels, their
//! queries, template variables and annotation queries.
//!
//! The JSON is read as [`serde_json::Value`] rather than a full schema, so
//! that any field Grafana accepts may be present; only the fields below are
//! looked at. Panels nested in collapsed rows are included.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::CheckError;

/// One dashboard file.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub file: PathBuf,
    pub uid: String,
    pub title: String,
    pub schema_version: Option<u64>,
    pub panels: Vec<Panel>,
    pub variables: Vec<Variable>,
    pub annotations: Vec<Annotation>,
}

/// A panel (rows included, they have no targets).
#[derive(Debug, Clone)]
pub struct Panel {
    pub id: Option<u64>,
    pub title: String,
    pub kind: String,
    /// The panel's data source uid, if it names one.
    pub datasource: Option<String>,
    pub targets: Vec<Target>,
}

/// One query of a panel.
#[derive(Debug, Clone)]
pub struct Target {
    pub ref_id: String,
    /// The target's own data source uid, else the panel's.
    pub datasource: Option<String>,
    pub expr: String,
    /// Asks Grafana to draw exemplars for this query.
    pub exemplar: bool,
}

/// A template variable.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub kind: String,
    pub datasource: Option<String>,
    /// The query text (`label_values(...)` or PromQL) for `query` variables.
    pub query: Option<String>,
    /// The saved current value (`$__all` for "All").
    pub current: Option<String>,
    /// What "All" stands for, if set.
    pub all_value: Option<String>,
    /// Options of `custom` / `interval` variables.
    pub options: Vec<String>,
}

/// An annotation query.
#[derive(Debug, Clone)]
pub struct Annotation {
    pub name: String,
    pub datasource: Option<String>,
    /// PromQL, for annotations drawn from Prometheus.
    pub expr: Option<String>,
}

/// A data source reference: `{"type": "...", "uid": "..."}` or a bare string.
fn ds_uid(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("uid").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Reads and interprets one dashboard file.
pub fn load(path: &Path) -> Result<Dashboard, CheckError> {
    let raw = std::fs::read_to_string(path).map_err(|e| CheckError::io(path, e))?;
    let v: Value = serde_json::from_str(&raw).map_err(|e| CheckError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut panels = Vec::new();
    for p in v
        .get("panels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        panels.push(panel(p));
        for inner in p
            .get("panels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            panels.push(panel(inner));
        }
    }
    let list = |key: &str| {
        v.get(key)
            .and_then(|t| t.get("list"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    Ok(Dashboard {
        file: path.to_path_buf(),
        uid: text(&v, "uid").unwrap_or_default(),
        title: text(&v, "title").unwrap_or_default(),
        schema_version: v.get("schemaVersion").and_then(Value::as_u64),
        panels,
        variables: list("templating").iter().map(variable).collect(),
        annotations: list("annotations").iter().map(annotation).collect(),
    })
}

fn panel(p: &Value) -> Panel {
    let datasource = ds_uid(p.get("datasource"));
    let targets = p
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some(Target {
                ref_id: text(t, "refId").unwrap_or_default(),
                datasource: ds_uid(t.get("datasource")).or_else(|| datasource.clone()),
                expr: text(t, "expr")?,
                exemplar: t.get("exemplar").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect();
    Panel {
        id: p.get("id").and_then(Value::as_u64),
        title: text(p, "title").unwrap_or_default(),
        kind: text(p, "type").unwrap_or_default(),
        datasource,
        targets,
    }
}

fn variable(v: &Value) -> Variable {
    let query = match v.get("query") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("query").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let current = v.get("current").and_then(|c| match c.get("value") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    });
    let options = v
        .get("options")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| text(o, "value"))
        .collect();
    Variable {
        name: text(v, "name").unwrap_or_default(),
        kind: text(v, "type").unwrap_or_default(),
        datasource: ds_uid(v.get("datasource")),
        query,
        current,
        all_value: text(v, "allValue"),
        options,
    }
}

fn annotation(a: &Value) -> Annotation {
    Annotation {
        name: text(a, "name").unwrap_or_default(),
        datasource: ds_uid(a.get("datasource")),
        expr: text(a, "expr").or_else(|| a.get("target").and_then(|t| text(t, "expr"))),
    }
}

/// Every `*.json` file in `dir`, sorted, loaded.
pub fn load_dir(dir: &Path) -> Result<Vec<Dashboard>, CheckError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CheckError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.iter().map(|f| load(f)).collect()
}
