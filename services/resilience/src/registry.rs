//! Every dependency of one service, by name: what `/admin/resilience` reads
//! and changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use crate::dependency::Dependency;
use crate::patch::PolicyPatch;
use crate::policy::{Policy, PolicyError};
use crate::status::DependencyStatus;
use crate::sync::{lock, read, write};

/// Why a registry change was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    #[error("unknown dependency {0:?}")]
    UnknownDependency(String),
    /// The field names the dependency too: `payments.retry.max_attempts ...`.
    #[error(transparent)]
    Invalid(#[from] PolicyError),
}

/// The dependencies of one service.
#[derive(Debug)]
pub struct Registry {
    default: Policy,
    deps: RwLock<BTreeMap<String, Arc<Dependency>>>,
    /// Serializes multi-dependency updates so each is all-or-nothing.
    updating: Mutex<()>,
}

impl Registry {
    /// Builds one dependency per entry of `policies`; `default` is used for
    /// dependencies created later with [`Registry::get_or_create`]. Every
    /// policy is validated; the error names the dependency and the field.
    pub fn new(default: Policy, policies: HashMap<String, Policy>) -> Result<Self, PolicyError> {
        default.validate().map_err(|e| e.in_dependency("default"))?;
        let mut deps = BTreeMap::new();
        for (name, policy) in policies {
            let dep = Dependency::try_new(name.clone(), policy)?;
            deps.insert(name, dep);
        }
        Ok(Self {
            default,
            deps: RwLock::new(deps),
            updating: Mutex::new(()),
        })
    }

    /// A registry of `names`, all with `default`.
    pub fn with_defaults<I, S>(default: Policy, names: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let policies = names
            .into_iter()
            .map(|n| (n.into(), default.clone()))
            .collect();
        Self::new(default, policies)
    }

    pub fn get(&self, name: &str) -> Option<Arc<Dependency>> {
        read(&self.deps).get(name).cloned()
    }

    /// The named dependency, created with the default policy if new.
    pub fn get_or_create(&self, name: &str) -> Arc<Dependency> {
        if let Some(dep) = self.get(name) {
            return dep;
        }
        write(&self.deps)
            .entry(name.to_string())
            .or_insert_with(|| Dependency::new(name, self.default.clone()))
            .clone()
    }

    /// Every dependency, sorted by name.
    pub fn all(&self) -> Vec<Arc<Dependency>> {
        read(&self.deps).values().cloned().collect()
    }

    pub fn status_all(&self) -> Vec<DependencyStatus> {
        self.all().iter().map(|d| d.status()).collect()
    }

    pub fn default_policy(&self) -> &Policy {
        &self.default
    }

    /// Applies a patch to each named dependency, all or nothing: if any name
    /// is unknown or any result is invalid, no policy changes.
    pub fn update_all(&self, patches: &BTreeMap<String, PolicyPatch>) -> Result<(), RegistryError> {
        let _serial = lock(&self.updating);
        let mut planned = Vec::with_capacity(patches.len());
        for (name, patch) in patches {
            let dep = self
                .get(name)
                .ok_or_else(|| RegistryError::UnknownDependency(name.clone()))?;
            let next = dep
                .policy()
                .apply(patch)
                .map_err(|e| e.in_dependency(name))?;
            planned.push((dep, next));
        }
        for (dep, next) in planned {
            dep.set_policy(next)?;
        }
        Ok(())
    }

    /// Re-publishes every dependency's metric series (after a late recorder).
    pub fn publish_metrics(&self) {
        for dep in self.all() {
            dep.publish_metrics();
        }
    }
}
