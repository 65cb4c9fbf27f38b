//! The experiment JSON Schema (`experiments/experiment.schema.json`, for
//! editors), printed by `chaoslab schema`. Most of it is written by hand in
//! that file; the parts that come from a registry are generated here, over
//! the committed file, so they cannot drift:
//!
//! - a fault's `kind`: every [`FaultKind`] name (the toxics from the registry);
//! - each toxic's `params` (`$defs/toxic_<name>`: its attributes, ranges,
//!   defaults, the ones an experiment must give), chosen by `kind` when the
//!   fault is on the proxy layer.
//!
//! A test keeps the committed file equal to [`json_schema`]'s output
//! (`chaoslab schema > experiments/experiment.schema.json` after a change).

use serde_json::{Value, json};

use crate::model::FaultKind;

/// The committed schema, the base the generated parts are written over.
const COMMITTED: &str = include_str!("../../../experiments/experiment.schema.json");

/// The schema: the committed file with its generated parts made anew.
pub fn json_schema() -> Value {
    let mut schema: Value = serde_json::from_str(COMMITTED).unwrap_or_else(|_| json!({}));
    let defs = &mut schema["$defs"];
    if let Some(defs) = defs.as_object_mut() {
        defs.retain(|name, _| !name.starts_with("toxic_"));
        for def in chaoslab_contract::toxics::REGISTRY {
            defs.insert(format!("toxic_{}", def.name), def.params_schema());
        }
    }
    if let Some(fault) = schema["$defs"]["action"]["oneOf"]
        .as_array_mut()
        .and_then(|b| b.iter_mut().find(|b| b["required"][0] == "fault"))
    {
        let fault = &mut fault["properties"]["fault"];
        fault["properties"]["kind"] = json!({ "enum": FaultKind::names() });
        fault["allOf"] = Value::Array(
            chaoslab_contract::toxics::REGISTRY
                .iter()
                .map(|def| {
                    json!({
                        "if": {
                            "required": ["kind"],
                            "properties": {
                                "kind": { "const": def.name },
                                "layer": { "not": { "const": "service" } }
                            }
                        },
                        "then": {
                            "properties": {
                                "params": { "$ref": format!("#/$defs/toxic_{}", def.name) }
                            }
                        }
                    })
                })
                .collect(),
        );
    }
    schema
}

/// The schema as the committed file holds it (pretty, one newline at the end).
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}
