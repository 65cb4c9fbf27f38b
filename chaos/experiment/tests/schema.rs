//! The JSON Schema under `experiments/` (for editors) says what the parser
//! accepts: the same probes, actions, fault kinds, journeys and services, and
//! every experiment file's top-level fields.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// The shop's lab file: experiments are checked against it.
fn shop() -> chaoslab_contract::Lab {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml");
    chaoslab_contract::Lab::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

fn schema() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/experiment.schema.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("the schema exists"))
        .expect("the schema is JSON")
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The one key each `oneOf` branch requires.
fn branch_keys(one_of: &Value) -> BTreeSet<String> {
    one_of["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["required"][0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_committed_schema_is_what_chaoslab_schema_prints() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/experiment.schema.json");
    let committed = std::fs::read_to_string(p).expect("the schema exists");
    assert!(
        committed == chaoslab_experiment::schema::json_schema_text(),
        "experiments/experiment.schema.json is not current: run `chaoslab schema > experiments/experiment.schema.json`"
    );
}

#[test]
fn each_toxics_params_follow_the_registry() {
    let s = schema();
    for def in chaoslab_contract::toxics::REGISTRY {
        let params = &s["$defs"][format!("toxic_{}", def.name)];
        let names: BTreeSet<String> = params["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no params schema", def.name))
            .keys()
            .cloned()
            .collect();
        let attrs: BTreeSet<String> = def.attributes.iter().map(|a| a.name.to_string()).collect();
        assert_eq!(names, attrs, "{}", def.name);
        for a in def.attributes {
            let p = &params["properties"][a.name];
            assert_eq!(
                (p["minimum"].as_i64(), p["maximum"].as_i64()),
                (Some(a.min), Some(a.max))
            );
            assert_eq!(p["default"].as_i64(), Some(a.default));
        }
    }
    // A proxy-layer fault picks its toxic's params; a service-layer `latency` does not.
    let fault = s["$defs"]["action"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["required"][0] == "fault")
        .unwrap();
    let rules = fault["properties"]["fault"]["allOf"].as_array().unwrap();
    let latency = rules
        .iter()
        .find(|r| r["if"]["properties"]["kind"]["const"] == "latency")
        .expect("a rule for latency");
    assert_eq!(
        latency["then"]["properties"]["params"]["$ref"],
        "#/$defs/toxic_latency"
    );
    assert_eq!(
        latency["if"]["properties"]["layer"]["not"]["const"],
        "service"
    );
}

#[test]
fn the_schema_names_what_the_parser_accepts() {
    let s = schema();
    let defs = &s["$defs"];
    assert_eq!(
        branch_keys(&defs["probe"]),
        set(&["slo", "metric", "http", "resilience", "trace"])
    );
    assert_eq!(
        branch_keys(&defs["action"]),
        set(&[
            "fault",
            "clear_faults",
            "policy",
            "settings",
            "process",
            "load",
            "wait",
            "check"
        ])
    );
    // Services and journeys are the lab file's: the schema takes any name.
    for field in [
        &defs["probe_slo"]["properties"]["journey"],
        &defs["probe_http"]["properties"]["service"],
    ] {
        assert_eq!(field["type"], "string", "{field}");
        assert!(field.get("enum").is_none(), "{field}");
    }
    let lab = shop();
    let fault = defs["action"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["required"][0] == "fault")
        .unwrap();
    let kinds = strings(&fault["properties"]["fault"]["properties"]["kind"]["enum"]);
    // Every kind in the schema parses, and an unknown one does not.
    for kind in &kinds {
        // A toxic's params: what the registry says an experiment must give.
        let toxic = chaoslab_contract::toxics::find(kind).map(|def| {
            let given: Vec<String> = def
                .attributes
                .iter()
                .filter(|a| a.needed)
                .map(|a| format!("{}: {}", a.name, a.min.max(1)))
                .collect();
            format!("{{ {} }}", given.join(", "))
        });
        let params = match kind.as_str() {
            _ if toxic.is_some() => toxic.as_deref().unwrap_or_default(),
            "http_abort" => "{ status: 503 }",
            "http_delay" => "{ delay: { distribution: fixed, ms: 1 } }",
            "error_rate" => "{ rate: 1.0 }",
            "slow_storage" => "{ latency_ms: 1 }",
            "memory_growth" => "{ mb_per_sec: 1, max_mb: 1 }",
            "pool_shrink" => "{ dependency: payments }",
            "duplicate_delivery" => "{ rate: 0.5 }",
            _ => "{}",
        };
        let target = match kind.as_str() {
            "error_rate" | "slow_storage" | "cpu_burn" | "memory_growth" | "pool_shrink" => {
                "orders"
            }
            "duplicate_delivery" | "poison_message" => "shipments",
            _ => "payments",
        };
        let text = format!(
            "title: t\nsteady_state:\n  probes:\n    - slo: {{ journey: checkout, measure: error_rate, tolerance: {{ max: 1 }} }}\nmethod:\n  - fault: {{ kind: {kind}, target: {target}, duration: 1s, params: {params} }}\n"
        );
        if let Err(e) = chaoslab_experiment::validate_str(&text, Path::new("k.yaml"), &lab) {
            panic!("kind {kind}: {e}");
        }
    }
    assert_eq!(kinds.len(), 18);
    let top: BTreeSet<String> = s["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        top,
        set(&[
            "title",
            "description",
            "load",
            "steady_state",
            "method",
            "rollbacks",
            "max_duration"
        ])
    );
    let tol: BTreeSet<String> = defs["tolerance"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        tol,
        set(&[
            "max",
            "min",
            "equals",
            "one_of",
            "status",
            "contains",
            "unchanged",
            "max_change"
        ])
    );
}
