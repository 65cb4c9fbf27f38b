//! `timeout`: swallows all data, and closes the connection once no data has
//! arrived for `timeout` ms (0: never closes; data is dropped until the toxic
//! is removed). Removing it closes the connections it was active on, since
//! their streams have lost data (as in Toxiproxy). In http mode the request
//! is held and never answered, and the client connection closed after
//! `timeout` ms (0: when the toxic is removed).

use serde::{Deserialize, Serialize};

use super::model::millis;
use super::{Attr, HttpAct, Item, Stage, Toxic, ToxicDef};

pub const DEF: ToxicDef = ToxicDef::new(
    "timeout",
    "Swallows the data; closes the connection after `timeout` ms (0: never)",
    &[Attr::ms(
        "timeout",
        "Milliseconds of silence before the connection is closed; 0 = never",
    )
    .presets(&[1000, 5000, 0])],
    super::decode::<Timeout>,
);

/// Black-holes the stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timeout {
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
    fn on_activate(&self, stage: &mut Stage<'_>) {
        self.arm(stage);
    }
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        match item {
            Item::Data { .. } => self.arm(stage),
            other => out.push(other),
        }
    }
    fn http(&self) -> HttpAct {
        HttpAct::Hold {
            close_after: (self.timeout > 0).then(|| millis(self.timeout)),
        }
    }
    fn closes_on_removal(&self) -> bool {
        true
    }
}
