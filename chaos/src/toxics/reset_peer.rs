//! `reset_peer`: when data (or the end of the stream) first arrives, waits
//! `timeout` ms and then resets the connection (SO_LINGER 0: RST, the peer
//! sees ECONNRESET). Data is dropped from the moment it fires.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic, millis};

/// Resets the connection.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ResetPeer {
    /// Milliseconds between the first data and the reset; 0 = at once.
    pub timeout: i64,
}

impl Toxic for ResetPeer {
    fn validate(&self, _given: &super::Given) -> Result<(), String> {
        super::check_ms("timeout", self.timeout)
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        match item {
            Item::Data { .. } | Item::Eof { .. } => {
                if !stage.state.triggered {
                    stage.state.triggered = true;
                    out.push(Item::Reset {
                        at: stage.now + millis(self.timeout),
                        origin: stage.origin,
                    });
                }
            }
            other => out.push(other),
        }
    }
}
