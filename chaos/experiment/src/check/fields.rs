//! Checking patches and fault parameters before they are sent, by the types
//! and rules of whoever receives them: policy patches by the resilience
//! crate's `PolicyPatch`, settings by the contract's `SettingsPatch` (their
//! field names are read from the types, never copied here), fault bodies by
//! the contract's fault types ([`FaultRequest`]), and each fault kind's
//! parameter names.

use std::collections::BTreeMap;

use chaoslab_contract::SettingsPatch;
use chaoslab_contract::fields;
use chaoslab_resilience::PolicyPatch;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::Checked;
use crate::act::FaultRequest;
use chaoslab_contract::toxics::Attr;

use crate::model::{FaultKind, Layer};
use crate::names::one_of;
use crate::parse::Issue;

/// `set` read as `T` by `T`'s own `Deserialize`: an unknown field or a value
/// of the wrong type is an issue naming the field (`base.retry.max_attempts`).
fn typed<T: DeserializeOwned>(
    set: &Spanned<BTreeMap<String, Value>>,
    base: &str,
) -> Result<T, Issue> {
    let value = Value::Object(set.value.clone().into_iter().collect());
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let message = e.inner().to_string();
        let path = e.path().to_string();
        let field = if path == "." {
            base.to_string()
        } else {
            format!("{base}.{path}")
        };
        Issue::at(set, field, message)
    })
}

/// A policy patch: `{section: {field: value}}`, the fields the resilience
/// crate's `PolicyPatch` has.
pub fn policy_patch(set: &Spanned<BTreeMap<String, Value>>, base: &str) -> Checked {
    if set.value.is_empty() {
        return Err(Issue::at(
            set,
            base,
            format!(
                "empty patch: give at least one of {}",
                one_of(fields::names::<PolicyPatch>())
            ),
        ));
    }
    typed::<PolicyPatch>(set, base).map(drop)
}

/// A settings patch: the fields of the contract's `SettingsPatch`.
pub fn settings_patch(set: &Spanned<BTreeMap<String, Value>>, base: &str) -> Checked {
    if set.value.is_empty() {
        return Err(Issue::at(
            set,
            base,
            format!(
                "empty patch: give at least one of {}",
                one_of(SettingsPatch::fields())
            ),
        ));
    }
    typed::<SettingsPatch>(set, base).map(drop)
}

/// The (required, optional) parameters of a fault kind on a layer. A
/// toxic's are its attributes in the registry: the ones an experiment must
/// give (`needed`), then the others.
pub fn fault_params(kind: FaultKind, layer: Layer) -> (Vec<&'static str>, Vec<&'static str>) {
    use chaoslab_contract::wire::{http_fault, service_fault};
    let of = |p: Option<&service_fault::Params>| {
        p.map_or_else(Default::default, |p| {
            (p.required.to_vec(), p.optional.to_vec())
        })
    };
    match (kind, layer) {
        // The in-service `latency` (the toxic's namesake inside a service).
        (FaultKind::Toxic(def), Layer::Service) => of(service_fault::params_of(def.name)),
        (FaultKind::Toxic(def), Layer::Proxy) => {
            let (needed, other): (Vec<&Attr>, Vec<&Attr>) =
                def.attributes.iter().partition(|a| a.needed);
            (
                needed.iter().map(|a| a.name).collect(),
                other.iter().map(|a| a.name).collect(),
            )
        }
        (FaultKind::Down, _) => (Vec::new(), Vec::new()),
        (FaultKind::HttpAbort | FaultKind::HttpDelay, _) => {
            of(http_fault::PARAMS.iter().find(|p| p.kind == kind.as_str()))
        }
        (FaultKind::Service(k), _) => of(service_fault::params_of(k)),
    }
}

/// The values of a fault request (the body [`crate::act::fault_request`]
/// sends), checked by the rules of whoever applies it: the agent's toxic and
/// HTTP fault rules, the services' in-service fault rules.
pub fn fault_values(kind: FaultKind, layer: Layer, body: &Value) -> Result<(), String> {
    match FaultRequest::parse(kind, layer, body)? {
        FaultRequest::Toxic(spec) => {
            chaoslab_contract::toxics::build(&spec.kind, &spec.attributes)
                .map(|_| ())
                .map_err(|e| {
                    e.to_string()
                        .trim_start_matches("bad request body: ")
                        .trim_start_matches("attributes: ")
                        .to_string()
                })?;
            chaoslab_contract::toxics::check_toxicity(spec.toxicity)
        }
        _ => Ok(()),
    }
}

/// A policy patch's values, by the resilience crate's own rules, applied to
/// the default policy (a service's current policy is only known at run time).
pub fn policy_values(set: &Spanned<BTreeMap<String, Value>>, base: &str) -> Checked {
    let patch: chaoslab_resilience::PolicyPatch =
        serde_json::from_value(Value::Object(set.value.clone().into_iter().collect()))
            .map_err(|e| Issue::at(set, base, e.to_string()))?;
    chaoslab_resilience::Policy::default()
        .apply(&patch)
        .map(|_| ())
        .map_err(|e| Issue::at(set, format!("{base}.{}", e.field), e.problem))
}
