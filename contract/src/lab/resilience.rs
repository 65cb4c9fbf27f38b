//! Resilience defaults and per-service settings: `[defaults]` (a policy
//! patch for every dependency), a service's `propagate_deadline`,
//! `request_deadline_ms`, `honour_idempotency_keys`, `dead_letter_queue`,
//! `time_scale`, `max_concurrent_requests`, and
//! `[services.X.dependencies.Y]` (a patch on top of the defaults). A
//! `--config` file with only these keys is an overlay on the lab's.

use crate::{FileError, error::Locator};
use chaoslab_resilience::{Policy, PolicyPatch};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// Settings a service takes from the lab file (and an experiment's
/// `settings` step); `None` keeps its default. Its fields are the one list
/// of settings names: [`SettingsPatch::fields`] reads them from this type,
/// and `ServiceSettings` (the admin API's) must have the same (a test says so).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub propagate_deadline: Option<bool>,
    pub request_deadline_ms: Option<u64>,
    pub honour_idempotency_keys: Option<bool>,
    pub dead_letter_queue: Option<bool>,
    pub time_scale: Option<f64>,
    pub max_concurrent_requests: Option<u64>,
}

impl SettingsPatch {
    /// The settings' names, read from this type's `Deserialize`.
    pub fn fields() -> &'static [&'static str] {
        crate::fields::names::<SettingsPatch>()
    }

    fn merge(&mut self, over: &SettingsPatch) {
        self.propagate_deadline = over.propagate_deadline.or(self.propagate_deadline);
        self.request_deadline_ms = over.request_deadline_ms.or(self.request_deadline_ms);
        self.honour_idempotency_keys = over
            .honour_idempotency_keys
            .or(self.honour_idempotency_keys);
        self.dead_letter_queue = over.dead_letter_queue.or(self.dead_letter_queue);
        self.time_scale = over.time_scale.or(self.time_scale);
        self.max_concurrent_requests = over
            .max_concurrent_requests
            .or(self.max_concurrent_requests);
    }
}

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
            let settings = SettingsPatch {
                propagate_deadline: svc.propagate_deadline,
                request_deadline_ms: svc.request_deadline_ms,
                honour_idempotency_keys: svc.honour_idempotency_keys,
                dead_letter_queue: svc.dead_letter_queue,
                time_scale: svc.time_scale,
                max_concurrent_requests: svc.max_concurrent_requests,
            };
            next.add_service(name, settings, &svc.dependencies, deps, &at)?;
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlayService {
    propagate_deadline: Option<bool>,
    request_deadline_ms: Option<u64>,
    honour_idempotency_keys: Option<bool>,
    dead_letter_queue: Option<bool>,
    time_scale: Option<f64>,
    max_concurrent_requests: Option<u64>,
    #[serde(default)]
    dependencies: BTreeMap<Spanned<String>, Spanned<PolicyPatch>>,
}
