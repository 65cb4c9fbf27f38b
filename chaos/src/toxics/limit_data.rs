//! `limit_data`: lets `bytes` bytes through, then closes the connection.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic};

/// Cuts the connection after a number of bytes.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitData {
    /// Bytes let through before the close (counted per connection and direction).
    pub bytes: i64,
}

impl Toxic for LimitData {
    fn validate(&self, _given: &super::Given) -> Result<(), String> {
        super::check_range("bytes", self.bytes, 0, i64::MAX)
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        let Item::Data { at, mut bytes } = item else {
            out.push(item);
            return;
        };
        if stage.state.triggered {
            return;
        }
        let limit = self.bytes.max(0) as u64;
        let remaining = limit.saturating_sub(stage.state.bytes) as usize;
        bytes.truncate(remaining);
        if !bytes.is_empty() {
            stage.state.bytes += bytes.len() as u64;
            out.push(Item::Data { at, bytes });
        }
        if stage.state.bytes >= limit {
            stage.state.triggered = true;
            out.push(Item::Close {
                at,
                origin: stage.origin,
            });
        }
    }
}
