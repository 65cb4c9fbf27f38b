//! The field names other parts of the lab accept, for checking patches and
//! fault parameters before they are sent: policy patches (as the resilience
//! crate's `PolicyPatch`), service settings, and each fault kind's parameters.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_saphyr::Spanned;

use super::Checked;
use crate::model::{FaultKind, Layer};
use crate::names::one_of;
use crate::parse::Issue;

/// How a field's value must look.
#[derive(Clone, Copy)]
enum Ty {
    Bool,
    /// A whole number >= 0.
    Count,
    /// Any number.
    Number,
    /// A whole number or null.
    CountOrNull,
}

const TIMEOUT: &[(&str, Ty)] = &[("enabled", Ty::Bool), ("per_attempt_ms", Ty::Count)];
const RETRY: &[(&str, Ty)] = &[
    ("enabled", Ty::Bool),
    ("max_attempts", Ty::Count),
    ("base_delay_ms", Ty::Count),
    ("max_delay_ms", Ty::Count),
    ("budget_enabled", Ty::Bool),
    ("budget_ratio", Ty::Number),
    ("budget_min_per_sec", Ty::Count),
    ("budget_window_ms", Ty::Count),
];
const BREAKER: &[(&str, Ty)] = &[
    ("enabled", Ty::Bool),
    ("failure_rate_threshold", Ty::Number),
    ("window_size", Ty::Count),
    ("min_calls", Ty::Count),
    ("open_ms", Ty::Count),
    ("half_open_trials", Ty::Count),
];
const BULKHEAD: &[(&str, Ty)] = &[("enabled", Ty::Bool), ("max_concurrent", Ty::Count)];
const FALLBACK: &[(&str, Ty)] = &[("enabled", Ty::Bool)];

const POLICY: &[(&str, &[(&str, Ty)])] = &[
    ("timeout", TIMEOUT),
    ("retry", RETRY),
    ("breaker", BREAKER),
    ("bulkhead", BULKHEAD),
    ("fallback", FALLBACK),
];

const SETTINGS: &[(&str, Ty)] = &[
    ("propagate_deadline", Ty::Bool),
    ("request_deadline_ms", Ty::CountOrNull),
    ("honour_idempotency_keys", Ty::Bool),
    ("dead_letter_queue", Ty::Bool),
    ("time_scale", Ty::Number),
    ("max_concurrent_requests", Ty::CountOrNull),
];

fn names<T>(table: &[(&str, T)]) -> String {
    one_of(&table.iter().map(|(n, _)| *n).collect::<Vec<_>>())
}

fn typed(value: &Value, ty: Ty) -> bool {
    match ty {
        Ty::Bool => value.is_boolean(),
        Ty::Count => value.is_u64(),
        Ty::Number => value.is_number(),
        Ty::CountOrNull => value.is_u64() || value.is_null(),
    }
}

fn ty_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Bool => "true or false",
        Ty::Count => "a whole number",
        Ty::Number => "a number",
        Ty::CountOrNull => "a whole number or null",
    }
}

fn flat(
    map: &BTreeMap<String, Value>,
    table: &[(&str, Ty)],
    at: &Spanned<BTreeMap<String, Value>>,
    base: &str,
) -> Checked {
    for (name, value) in map {
        let Some((_, ty)) = table.iter().find(|(n, _)| n == name) else {
            return Err(Issue::at(
                at,
                format!("{base}.{name}"),
                format!("unknown field `{name}`, expected {}", names(table)),
            ));
        };
        if !typed(value, *ty) {
            return Err(Issue::at(
                at,
                format!("{base}.{name}"),
                format!("must be {} (got {value})", ty_name(*ty)),
            ));
        }
    }
    Ok(())
}

/// A policy patch: `{section: {field: value}}`.
pub fn policy_patch(set: &Spanned<BTreeMap<String, Value>>, base: &str) -> Checked {
    if set.value.is_empty() {
        return Err(Issue::at(
            set,
            base,
            format!("empty patch: give at least one of {}", names(POLICY)),
        ));
    }
    for (section, value) in &set.value {
        let Some((_, table)) = POLICY.iter().find(|(n, _)| n == section) else {
            return Err(Issue::at(
                set,
                format!("{base}.{section}"),
                format!("unknown field `{section}`, expected {}", names(POLICY)),
            ));
        };
        let Some(obj) = value.as_object() else {
            return Err(Issue::at(
                set,
                format!("{base}.{section}"),
                "must be a map of fields",
            ));
        };
        let map: BTreeMap<String, Value> = obj.clone().into_iter().collect();
        flat(&map, table, set, &format!("{base}.{section}"))?;
    }
    Ok(())
}

/// A settings patch.
pub fn settings_patch(set: &Spanned<BTreeMap<String, Value>>, base: &str) -> Checked {
    if set.value.is_empty() {
        return Err(Issue::at(
            set,
            base,
            format!("empty patch: give at least one of {}", names(SETTINGS)),
        ));
    }
    flat(&set.value, SETTINGS, set, base)
}

/// The (required, optional) parameters of a fault kind on a layer.
pub fn fault_params(
    kind: FaultKind,
    layer: Layer,
) -> (&'static [&'static str], &'static [&'static str]) {
    match (kind, layer) {
        (FaultKind::Latency, Layer::Service) => (&["latency_ms"], &["jitter_ms", "route"]),
        (FaultKind::Latency, Layer::Proxy) => (&["latency"], &["jitter"]),
        (FaultKind::Bandwidth, _) => (&["rate"], &[]),
        (FaultKind::SlowClose, _) => (&[], &["delay"]),
        (FaultKind::Timeout, _) => (&[], &["timeout"]),
        (FaultKind::ResetPeer, _) => (&[], &["timeout"]),
        (FaultKind::Slicer, _) => (&[], &["average_size", "size_variation", "delay"]),
        (FaultKind::LimitData, _) => (&["bytes"], &[]),
        (FaultKind::Noop, _) | (FaultKind::Down, _) => (&[], &[]),
        (FaultKind::HttpAbort, _) => (&["status"], &["body", "percent", "match"]),
        (FaultKind::HttpDelay, _) => (&["delay"], &["percent", "match"]),
        (FaultKind::ErrorRate, _) => (&["rate"], &["status", "route"]),
        (FaultKind::SlowStorage, _) => (&["latency_ms"], &[]),
        (FaultKind::CpuBurn, _) => (&[], &["threads", "percent"]),
        (FaultKind::MemoryGrowth, _) => (&["mb_per_sec", "max_mb"], &[]),
        (FaultKind::PoolShrink, _) => (&["dependency"], &["size"]),
    }
}

/// The values of a fault request (the body [`crate::act::fault_request`]
/// sends), checked by the rules of whoever applies it: the agent's toxic and
/// HTTP fault rules, the services' in-service fault rules.
pub fn fault_values(kind: FaultKind, layer: Layer, body: &Value) -> Result<(), String> {
    use chaoslab_chaos::faults::http::HttpFaultSpec;
    match (kind, layer) {
        (FaultKind::Down, _) => Ok(()),
        (_, Layer::Service) => chaoslab_kit::faults::FaultSpec::parse(body.to_string().as_bytes())
            .map(|_| ())
            .map_err(|e| e.to_string()),
        (FaultKind::HttpAbort | FaultKind::HttpDelay, _) => {
            let spec: HttpFaultSpec =
                serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
            spec.validate()
        }
        _ => {
            let spec: chaoslab_chaos::ToxicSpec =
                serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
            chaoslab_chaos::toxics::build(&spec.kind, &spec.attributes)
                .map(|_| ())
                .map_err(|e| {
                    e.to_string()
                        .trim_start_matches("bad request body: ")
                        .trim_start_matches("attributes: ")
                        .to_string()
                })?;
            chaoslab_chaos::toxics::check_toxicity(spec.toxicity)
        }
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
