//! Resilience defaults and per-service settings: `[defaults]` (a policy
//! patch for every dependency), a service's settings (the list is in
//! `settings.rs`), and `[services.X.dependencies.Y]` (a patch on top of the
//! defaults). A `--config` file with only these keys is an overlay on the
//! lab's.

use super::settings::SettingsPatch;
use crate::{FileError, error::Locator};
use chaoslab_resilience::{Policy, PolicyPatch};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One service's settings and the patches for its dependencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceResilience {
    pub settings: SettingsPatch,
    /// Patches per dependency, applied in order on top of the defaults.
    pub dependencies: BTreeMap<String, Vec<PolicyPatch>>,
}

/// The lab's resilience: default patches and per-service ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resilience {
    /// Applied in order on top of [`Policy::default`].
    pub defaults: Vec<PolicyPatch>,
    pub services: BTreeMap<String, ServiceResilience>,
}

impl Resilience {
    /// The policy every dependency starts from.
    pub fn default_policy(&self) -> Policy {
        apply_all(Policy::default(), &self.defaults).unwrap_or_default()
    }

    /// The policy of `service`'s calls to `dependency`.
    pub fn policy(&self, service: &str, dependency: &str) -> Policy {
        let base = self.default_policy();
        let patches = self
            .services
            .get(service)
            .and_then(|s| s.dependencies.get(dependency));
        match patches {
            Some(p) => apply_all(base.clone(), p).unwrap_or(base),
            None => base,
        }
    }

    /// `service`'s settings patch.
    pub fn settings(&self, service: &str) -> SettingsPatch {
        self.services
            .get(service)
            .map(|s| s.settings.clone())
            .unwrap_or_default()
    }

    /// Reads an overlay file's text over this; `services` maps each service
    /// to its dependencies, so unknown names are refused.
    pub(super) fn overlay(
        &mut self,
        file: &str,
        text: &str,
        services: &BTreeMap<String, Vec<String>>,
    ) -> Result<(), FileError> {
        let at = Locator::new(file, text);
        let raw: RawOverlay = toml::from_str(text).map_err(|e| at.toml(&e))?;
        let mut next = self.clone();
        next.add_defaults(raw.defaults.as_ref(), &at)?;
        for (name, svc) in &raw.services {
            let Some(deps) = services.get(name.get_ref()) else {
                let known: Vec<&str> = services.keys().map(String::as_str).collect();
                return Err(at.error(
                    Some(name.span()),
                    format!("services.{}", name.get_ref()),
                    format!("unknown service; the lab has: {}", known.join(", ")),
                ));
            };
            next.add_service(name, svc.settings(), &svc.dependencies, deps, &at)?;
        }
        *self = next;
        Ok(())
    }

    pub(super) fn add_defaults(
        &mut self,
        patch: Option<&Spanned<PolicyPatch>>,
        at: &Locator,
    ) -> Result<(), FileError> {
        if let Some(d) = patch {
            self.defaults.push(d.get_ref().clone());
            apply_all(Policy::default(), &self.defaults)
                .map_err(|e| at.error(Some(d.span()), "defaults", e.to_string()))?;
        }
        Ok(())
    }

    /// Adds a service's settings and dependency patches, checking each
    /// dependency is one it has and each patch makes a valid policy.
    pub(super) fn add_service(
        &mut self,
        name: &Spanned<String>,
        settings: SettingsPatch,
        patches: &BTreeMap<Spanned<String>, Spanned<PolicyPatch>>,
        deps: &[String],
        at: &Locator,
    ) -> Result<(), FileError> {
        let service = name.get_ref();
        let base = self.default_policy();
        let entry = self.services.entry(service.clone()).or_default();
        entry.settings.merge(&settings);
        for (dep, patch) in patches {
            let key = format!("services.{service}.dependencies.{}", dep.get_ref());
            if !deps.iter().any(|d| d == dep.get_ref()) {
                let calls = if deps.is_empty() {
                    "nothing".to_string()
                } else {
                    deps.join(", ")
                };
                return Err(at.error(
                    Some(dep.span()),
                    key,
                    format!("{service} has no such dependency; it calls: {calls}"),
                ));
            }
            let list = entry.dependencies.entry(dep.get_ref().clone()).or_default();
            list.push(patch.get_ref().clone());
            apply_all(base.clone(), list)
                .map_err(|e| at.error(Some(patch.span()), &key, e.to_string()))?;
        }
        Ok(())
    }
}

fn apply_all(
    mut policy: Policy,
    patches: &[PolicyPatch],
) -> Result<Policy, chaoslab_resilience::PolicyError> {
    for p in patches {
        policy = policy.apply(p)?;
    }
    Ok(policy)
}

/// A `--config` overlay: only resilience keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlay {
    defaults: Option<Spanned<PolicyPatch>>,
    #[serde(default)]
    services: BTreeMap<Spanned<String>, RawOverlayService>,
}

with_settings! {
    /// A service's table in an overlay: its settings (appended from the
    /// one list) and its dependencies' patches.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawOverlayService {
        #[serde(default)]
        dependencies: BTreeMap<Spanned<String>, Spanned<PolicyPatch>>,
    }
}
