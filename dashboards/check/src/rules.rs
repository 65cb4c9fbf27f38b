//! Prometheus rule files: recording and alerting rules, read with serde.
//!
//! Only the fields the checks use are declared; unknown ones are ignored, as
//! promtool checks the full format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::CheckError;

/// A rule file: `groups: [...]`.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleFile {
    #[serde(skip)]
    pub file: PathBuf,
    pub groups: Vec<Group>,
}

/// A rule group.
#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    pub name: String,
    #[serde(default)]
    pub interval: Option<String>,
    pub rules: Vec<Rule>,
}

/// One recording (`record`) or alerting (`alert`) rule.
#[derive(Debug, Clone, Deserialize)]
pub struct Rule {
    #[serde(default)]
    pub record: Option<String>,
    #[serde(default)]
    pub alert: Option<String>,
    pub expr: String,
    #[serde(default, rename = "for")]
    pub for_: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Rule {
    /// The recorded series' name or the alert's name.
    pub fn name(&self) -> &str {
        self.record
            .as_deref()
            .or(self.alert.as_deref())
            .unwrap_or("")
    }
}

/// Reads one rule file.
pub fn load(path: &Path) -> Result<RuleFile, CheckError> {
    let raw = std::fs::read_to_string(path).map_err(|e| CheckError::io(path, e))?;
    let mut file: RuleFile = serde_saphyr::from_str(&raw).map_err(|e| CheckError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    file.file = path.to_path_buf();
    Ok(file)
}

/// Every `*.yml` / `*.yaml` file in `dir`, sorted, loaded.
pub fn load_dir(dir: &Path) -> Result<Vec<RuleFile>, CheckError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CheckError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    files.iter().map(|f| load(f)).collect()
}

/// The names of every recording rule.
pub fn recorded_names(files: &[RuleFile]) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| &f.groups)
        .flat_map(|g| &g.rules)
        .filter_map(|r| r.record.clone())
        .collect()
}
