//! `noop`: lets everything through unchanged (useful to test the plumbing).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic};

/// Does nothing.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Noop {}

impl Toxic for Noop {
    fn validate(&self, _given: &super::Given) -> Result<(), String> {
        Ok(())
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
    fn apply(&self, _stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        out.push(item);
    }
}
