//! The shop's lab file with some of its services left out, written to a
//! temporary file for a bench to start (the polyglot bench without
//! recommendations, the events bench without the broker and its
//! consumers). Folders are made absolute so the copy can live anywhere.

use std::path::{Path, PathBuf};

use crate::lab::up;

/// Writes the shop's lab file without `drop` (and without every mention of
/// them in `depends_on` and `dependencies`) to `dir/name`.
pub fn shop_without(dir: &Path, drop: &[&str], name: &str) -> anyhow::Result<PathBuf> {
    let labs = std::fs::canonicalize(
        Path::new(up::SHOP_LAB_PATH)
            .parent()
            .unwrap_or(Path::new(".")),
    )?;
    let mut lab: toml::Table = toml::from_str(&std::fs::read_to_string(up::SHOP_LAB_PATH)?)?;
    let services = lab
        .get_mut("services")
        .and_then(|v| v.as_table_mut())
        .ok_or_else(|| anyhow::anyhow!("no services in {}", up::SHOP_LAB_PATH))?;
    for gone in drop {
        services.remove(*gone);
    }
    let named = |d: &toml::Value| {
        let n = d
            .as_str()
            .or_else(|| d.get("name").and_then(|n| n.as_str()));
        n.is_some_and(|n| drop.contains(&n))
    };
    for (_, svc) in services.iter_mut() {
        let Some(svc) = svc.as_table_mut() else {
            continue;
        };
        if let Some(deps) = svc.get_mut("depends_on").and_then(|d| d.as_array_mut()) {
            deps.retain(|d| !named(d));
        }
        if let Some(d) = svc.get_mut("dependencies").and_then(|d| d.as_table_mut()) {
            for gone in drop {
                d.remove(*gone);
            }
        }
        if let Some(d) = svc.get("dir").and_then(|d| d.as_str()) {
            let abs = labs.join(d).display().to_string();
            svc.insert("dir".into(), toml::Value::String(abs));
        }
    }
    let file = dir.join(name);
    std::fs::write(&file, toml::to_string(&lab)?)?;
    Ok(file)
}
