//! `timeout`: swallows all data, and closes the connection once no data has
//! arrived for `timeout` ms (0: never closes; data is dropped until the toxic
//! is removed). Removing it closes the connections it was active on, since
//! their streams have lost data (as in Toxiproxy).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic, millis};

/// Black-holes the stream.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Timeout {
    /// Milliseconds of silence before the connection is closed; 0 = never.
    pub timeout: i64,
}

impl Timeout {
    fn arm(&self, stage: &mut Stage<'_>) {
        if self.timeout > 0 {
            stage.state.idle_deadline = Some(stage.now + millis(self.timeout));
        }
    }
}

impl Toxic for Timeout {
    fn validate(&self, _given: &super::Given) -> Result<(), String> {
        super::check_ms("timeout", self.timeout)
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
    fn on_activate(&self, stage: &mut Stage<'_>) {
        self.arm(stage);
    }
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        match item {
            Item::Data { .. } => self.arm(stage),
            other => out.push(other),
        }
    }
    fn closes_on_removal(&self) -> bool {
        true
    }
}
