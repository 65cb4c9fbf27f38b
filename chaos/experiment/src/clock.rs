//! The run's time scale inside the lab: before the load starts, every
//! service whose settings have a `time_scale` gets the run's, so durations
//! a lesson depends on inside the shop (inventory's reservation expiry)
//! shrink with the run's waits; the rollbacks put each back. A service
//! without the setting (or that does not answer) is left as it is.
//!
//! Also: which undos a later one makes redundant ([`superseded`]), so the
//! rollbacks restore each thing once, to what it was before the run.

use serde_json::json;

use crate::act::{Actor, Undo};

/// Sets `time_scale` on the services that know it; returns a note naming
/// them (none when the scale is theirs already).
pub async fn scale_services(actor: &Actor<'_>) -> Option<String> {
    let mut scaled = Vec::new();
    for svc in actor.lab.services() {
        // A service without an admin settings API is left as it is.
        let Ok(before) = svc.settings().await else {
            continue;
        };
        if (before.time_scale - actor.scale).abs() < 1e-9 {
            continue;
        }
        actor.push(Undo::Settings {
            service: svc.name().to_string(),
            previous: json!({ "time_scale": before.time_scale }),
        });
        if svc
            .patch_settings(&json!({ "time_scale": actor.scale }))
            .await
            .is_ok()
        {
            scaled.push(svc.name().to_string());
        }
    }
    (!scaled.is_empty()).then(|| format!("time_scale {} on {}", actor.scale, scaled.join(", ")))
}

/// What an undo restores, when a single thing: two undos with the same key
/// restore the same thing, and only the oldest (the state before the run)
/// needs to run.
fn key(u: &Undo) -> Option<String> {
    match u {
        Undo::Policy {
            service,
            dependency,
            ..
        } => Some(format!("policy {service} {dependency}")),
        // A settings undo restores the fields it names.
        Undo::Settings { service, previous } => {
            let fields: Vec<&str> = previous
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            Some(format!("settings {service} {}", fields.join(",")))
        }
        Undo::LoadRate { .. } => Some("load rate".into()),
        Undo::LoadWeights { .. } => Some("load weights".into()),
        _ => None,
    }
}

/// For each undo of the ledger (oldest first), whether an older one restores
/// the same thing: the rollbacks skip those, so a load of 20/s then 0/s is
/// restored straight to the rate before the run, not through 20/s.
pub fn superseded(undos: &[Undo]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    undos
        .iter()
        .map(|u| key(u).is_some_and(|k| !seen.insert(k)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaoslab_contract::wire::admin::PolicyPatch;

    #[test]
    fn only_the_oldest_undo_of_each_thing_runs() {
        let ledger = vec![
            Undo::LoadRate { previous: 1.0 },
            Undo::LoadWeights {
                previous: Default::default(),
            },
            Undo::Policy {
                service: "orders".into(),
                dependency: "payments".into(),
                previous: PolicyPatch::default(),
            },
            Undo::LoadRate { previous: 0.0 },
            Undo::Toxic {
                proxy: "p".into(),
                name: "t".into(),
            },
            Undo::Toxic {
                proxy: "p".into(),
                name: "t".into(),
            },
            Undo::LoadRate { previous: 20.0 },
            Undo::Policy {
                service: "orders".into(),
                dependency: "inventory".into(),
                previous: PolicyPatch::default(),
            },
        ];
        assert_eq!(
            superseded(&ledger),
            vec![false, false, false, true, false, false, true, false]
        );
    }
}
