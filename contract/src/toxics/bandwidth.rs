//! `bandwidth`: limits a direction to `rate` KB/s (1 KB = 1000 bytes).
//!
//! Each chunk is released when a virtual clock, advanced by `len / rate` ms per
//! chunk, reaches it; chunks larger than 100 ms of data are cut into 100 ms
//! pieces, so the rate holds at a fine grain (as in Toxiproxy). In http mode
//! it throttles the body.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Attr, Item, MAX_RATE_KB, Stage, Toxic, ToxicDef};

pub const DEF: ToxicDef = ToxicDef::new(
    "bandwidth",
    "Limits the data to `rate` KB/s",
    &[Attr {
        name: "rate",
        unit: "KB/s",
        about: "Kilobytes (1000 bytes) per second; left out, Toxiproxy's 0 (no limit)",
        default: 0,
        min: 1,
        max: MAX_RATE_KB,
        needed: true,
        presets: &[10, 100, 1],
    }],
    super::decode::<Bandwidth>,
);

/// Caps the byte rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bandwidth {
    pub rate: i64,
}

impl Toxic for Bandwidth {
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        let Item::Data { at, mut bytes } = item else {
            if let Item::Eof { at } = item {
                out.push(Item::Eof {
                    at: stage.state.after_last(at),
                });
            } else {
                out.push(item);
            }
            return;
        };
        if self.rate <= 0 {
            out.push(Item::Data { at, bytes });
            return;
        }
        let rate = self.rate as u64; // bytes per millisecond
        let piece = (rate * 100) as usize; // 100 ms worth
        let mut clock = stage.state.after_last(at);
        while !bytes.is_empty() {
            let part = bytes.split_to(bytes.len().min(piece));
            clock += Duration::from_nanos(part.len() as u64 * 1_000_000 / rate);
            out.push(Item::Data {
                at: clock,
                bytes: part,
            });
        }
        stage.state.last_at = Some(clock);
    }
}
