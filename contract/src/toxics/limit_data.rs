//! `limit_data`: lets `bytes` bytes through, then closes the connection. In
//! http mode it counts body bytes (not headers).

use serde::{Deserialize, Serialize};

use super::{Attr, Item, Stage, Toxic, ToxicDef};

pub const DEF: ToxicDef = ToxicDef::new(
    "limit_data",
    "Lets `bytes` bytes through, then closes the connection",
    &[Attr {
        name: "bytes",
        unit: "bytes",
        about: "Bytes let through before the close (counted per connection and direction)",
        default: 0,
        min: 0,
        max: i64::MAX,
        needed: true,
        presets: &[1024, 65536, 0],
    }],
    super::decode::<LimitData>,
);

/// Cuts the connection after a number of bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LimitData {
    pub bytes: i64,
}

impl Toxic for LimitData {
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
