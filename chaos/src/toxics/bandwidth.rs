//! `bandwidth`: limits a direction to `rate` KB/s (1 KB = 1000 bytes).
//!
//! Each chunk is released when a virtual clock, advanced by `len / rate` ms per
//! chunk, reaches it; chunks larger than 100 ms of data are cut into 100 ms
//! pieces, so the rate holds at a fine grain (as in Toxiproxy).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic};

/// Caps the byte rate.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Bandwidth {
    /// KB (1000 bytes) per second, from 1; left out, Toxiproxy's 0 (no limit).
    pub rate: i64,
}

impl Toxic for Bandwidth {
    fn validate(&self, given: &super::Given) -> Result<(), String> {
        // Toxiproxy's default rate 0 (no limit) is kept when rate is left out.
        super::check_range(
            "rate",
            self.rate,
            given.min_or_default("rate", 1, 0),
            super::MAX_RATE_KB,
        )
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
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
