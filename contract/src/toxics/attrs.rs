//! A toxic's attributes: their units, defaults and ranges, the one place
//! their rules are checked, and the JSON Schema they make for experiment files.

use serde_json::{Value, json};

use super::ToxicDef;

/// The longest time, in ms, any toxic attribute may hold a connection (an hour).
pub const MAX_MS: i64 = 3_600_000;
/// The highest bandwidth `rate`, in KB/s (1 TB/s: beyond that nothing is limited).
pub const MAX_RATE_KB: i64 = 1_000_000_000;

/// One integer attribute of a toxic (every Toxiproxy attribute is one).
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    /// Its name in Toxiproxy's JSON.
    pub name: &'static str,
    /// Its unit as people write it (`ms`, `KB/s`, `bytes`, `us`).
    pub unit: &'static str,
    /// What it means, for the schema and the dashboard.
    pub about: &'static str,
    /// Toxiproxy's default, taken when a request leaves it out (kept for its
    /// clients even where the value would be refused when given: bandwidth
    /// `rate` 0, slicer `average_size` 0).
    pub default: i64,
    /// The lowest value a request may give.
    pub min: i64,
    /// The highest value a request may give.
    pub max: i64,
    /// An experiment must give it: at its default the toxic does nothing
    /// worth an experiment (no delay, no limit).
    pub needed: bool,
    /// The values the dashboard's picker offers, the first chosen at first
    /// (empty: the picker leaves the attribute at its default).
    pub presets: &'static [i64],
}

impl Attr {
    /// An attribute from 0 to [`MAX_MS`] milliseconds, 0 by default.
    pub const fn ms(name: &'static str, about: &'static str) -> Attr {
        Attr {
            name,
            unit: "ms",
            about,
            default: 0,
            min: 0,
            max: MAX_MS,
            needed: false,
            presets: &[],
        }
    }

    /// The same attribute, which experiments must give.
    pub const fn needed(self) -> Attr {
        Attr {
            needed: true,
            ..self
        }
    }

    /// The same attribute, with the picker's values.
    pub const fn presets(self, presets: &'static [i64]) -> Attr {
        Attr { presets, ..self }
    }

    /// The attribute's rule: `min..=max`.
    pub fn check(&self, value: i64) -> Result<(), String> {
        if (self.min..=self.max).contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "{} must be from {} to {}, got {value}",
                self.name, self.min, self.max
            ))
        }
    }

    /// Its JSON Schema, for experiment files.
    fn schema(&self) -> Value {
        let mut about = self.about.to_string();
        if !self.unit.is_empty() {
            about = format!("{about} ({})", self.unit);
        }
        json!({
            "type": "integer",
            "minimum": self.min,
            "maximum": self.max,
            "default": self.default,
            "description": about,
        })
    }
}

impl ToxicDef {
    /// The JSON Schema of the toxic's `params` in an experiment file.
    pub fn params_schema(&self) -> Value {
        let properties: serde_json::Map<String, Value> = self
            .attributes
            .iter()
            .map(|a| (a.name.to_string(), a.schema()))
            .collect();
        let required: Vec<&str> = self
            .attributes
            .iter()
            .filter(|a| a.needed)
            .map(|a| a.name)
            .collect();
        let mut schema = json!({
            "type": "object",
            "additionalProperties": false,
            "description": self.about,
            "properties": properties,
        });
        if !required.is_empty() {
            schema["required"] = json!(required);
        }
        schema
    }
}

/// The attribute names a request gave (the others take their defaults).
#[derive(Debug, Default)]
pub struct Given(Vec<String>);

impl Given {
    /// The names in `attributes` (an object; anything else names none).
    pub fn of(attributes: &Value) -> Self {
        Given(
            attributes
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        )
    }

    /// Whether the request named `field`.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|f| f == field)
    }
}

/// A toxic's `toxicity`: the chance it acts, from 0 to 1.
pub fn check_toxicity(toxicity: f32) -> Result<(), String> {
    if toxicity.is_finite() && (0.0..=1.0).contains(&toxicity) {
        Ok(())
    } else {
        Err(format!("toxicity must be from 0 to 1, got {toxicity}"))
    }
}
