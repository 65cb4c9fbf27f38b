//! `slow_close`: delays the end of the stream (the FIN) by `delay` ms.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic, millis};

/// Holds the close back.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SlowClose {
    /// Milliseconds between the source closing and the destination seeing it.
    pub delay: i64,
}

impl Toxic for SlowClose {
    fn validate(&self, _given: &super::Given) -> Result<(), String> {
        super::check_ms("delay", self.delay)
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
    fn apply(&self, _stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        match item {
            Item::Eof { at } => out.push(Item::Eof {
                at: at + millis(self.delay),
            }),
            other => out.push(other),
        }
    }
}
