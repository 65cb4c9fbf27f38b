//! `reset_peer`: when data (or the end of the stream) first arrives, waits
//! `timeout` ms and then resets the connection (SO_LINGER 0: RST, the peer
//! sees ECONNRESET). Data is dropped from the moment it fires. In http mode
//! the client connection is reset `timeout` ms after the request (downstream:
//! after the upstream answered).

use serde::{Deserialize, Serialize};

use super::model::millis;
use super::{Attr, HttpAct, Item, Stage, Toxic, ToxicDef};

pub const DEF: ToxicDef = ToxicDef::new(
    "reset_peer",
    "Resets the connection (RST) `timeout` ms after data first arrives",
    &[Attr::ms(
        "timeout",
        "Milliseconds between the first data and the reset; 0 = at once",
    )],
    super::decode::<ResetPeer>,
);

/// Resets the connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetPeer {
    pub timeout: i64,
}

impl Toxic for ResetPeer {
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
    fn http(&self) -> HttpAct {
        HttpAct::Reset {
            after: millis(self.timeout),
        }
    }
}
