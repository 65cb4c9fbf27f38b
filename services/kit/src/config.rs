//! A service's configuration, resolved from the lab file's resilience keys
//! (`[defaults]`, a service's settings, `[services.X.dependencies.Y]`; see
//! [`chaoslab_contract::Lab`]). Reading and checking the file is the
//! contract's; this turns it into the kit's policies and settings.

use crate::context::ServiceSettings;
use chaoslab_contract::{Lab, Resilience};
use chaoslab_resilience::Policy;
use std::collections::BTreeMap;

/// A lab file problem: `file:line:column: key: message`.
pub use chaoslab_contract::FileError as ConfigError;

/// The resolved config of one service.
#[derive(Debug, Clone, Default)]
pub struct ServiceConfig {
    pub settings: ServiceSettings,
    /// Policy per dependency (those the lab names; others use `default_policy`).
    pub policies: BTreeMap<String, Policy>,
    pub default_policy: Policy,
}

/// The resilience part of a lab, resolved.
#[derive(Debug, Clone, Default)]
pub struct LabConfig {
    pub default_policy: Policy,
    resilience: Resilience,
}

impl LabConfig {
    /// The resilience keys of `lab` (and of any overlay applied to it).
    pub fn from_lab(lab: &Lab) -> Self {
        Self {
            default_policy: lab.resilience.default_policy(),
            resilience: lab.resilience.clone(),
        }
    }

    /// The config of `service` (defaults when the lab gives it nothing).
    pub fn service(&self, service: &str) -> ServiceConfig {
        let mut settings = ServiceSettings::default();
        self.resilience.settings(service).apply(&mut settings);
        let policies = self
            .resilience
            .services
            .get(service)
            .map(|s| {
                s.dependencies
                    .keys()
                    .map(|d| (d.clone(), self.resilience.policy(service, d)))
                    .collect()
            })
            .unwrap_or_default();
        ServiceConfig {
            settings,
            policies,
            default_policy: self.default_policy.clone(),
        }
    }
}
