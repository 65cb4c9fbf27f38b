//! Grafana provisioning files: the data sources and their fixed uids.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::error::CheckError;

#[derive(Debug, Deserialize)]
struct DatasourceFile {
    #[serde(default)]
    datasources: Vec<Datasource>,
}

/// A provisioned data source (only the fields the checks use).
#[derive(Debug, Clone, Deserialize)]
pub struct Datasource {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub uid: Option<String>,
}

/// Every data source in the `*.yml` files of `dir`.
pub fn datasources(dir: &Path) -> Result<Vec<Datasource>, CheckError> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| CheckError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let raw = std::fs::read_to_string(&f).map_err(|e| CheckError::io(&f, e))?;
        let parsed: DatasourceFile =
            serde_saphyr::from_str(&raw).map_err(|e| CheckError::Yaml {
                path: f.clone(),
                message: e.to_string(),
            })?;
        out.extend(parsed.datasources);
    }
    Ok(out)
}

/// The uids of the provisioned data sources.
pub fn datasource_uids(dir: &Path) -> Result<BTreeSet<String>, CheckError> {
    Ok(datasources(dir)?
        .into_iter()
        .filter_map(|d| d.uid)
        .collect())
}
