//! `slicer`: cuts each chunk into pieces of about `average_size` bytes
//! (give or take `size_variation`), `delay` microseconds apart.

use std::time::Duration;

use rand::RngExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic};

/// Splits writes into small pieces.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Slicer {
    /// The size pieces aim for, in bytes.
    pub average_size: i64,
    /// How far a cut may stray from the middle, in bytes.
    pub size_variation: i64,
    /// Microseconds between pieces.
    pub delay: i64,
}

impl Slicer {
    /// Cut points of `[start, end)` by halving until pieces are near the average size.
    fn cuts(&self, stage: &mut Stage<'_>, start: usize, end: usize, out: &mut Vec<usize>) {
        let average = self.average_size.max(1) as usize;
        let variation = self.size_variation.max(0) as usize;
        if (end - start).saturating_sub(average) <= variation || end - start <= 1 {
            out.push(end);
            return;
        }
        let mut mid = start + (end - start) / 2;
        if variation > 0 {
            let v = variation as i64;
            let shift = stage.rng.random_range(-v..v);
            mid = (mid as i64 + shift).clamp(start as i64 + 1, end as i64 - 1) as usize;
        }
        self.cuts(stage, start, mid, out);
        self.cuts(stage, mid, end, out);
    }
}

impl Toxic for Slicer {
    fn validate(&self, given: &super::Given) -> Result<(), String> {
        // Toxiproxy's default average_size 0 is kept when it is left out.
        let least = given.min_or_default("average_size", 1, 0);
        super::check_range(
            "average_size",
            self.average_size,
            least,
            i64::from(u32::MAX),
        )?;
        super::check_range(
            "size_variation",
            self.size_variation,
            0,
            i64::from(u32::MAX),
        )?;
        super::check_range("delay", self.delay, 0, super::MAX_MS * 1000)
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        let Item::Data { at, bytes } = item else {
            if let Item::Eof { at } = item {
                out.push(Item::Eof {
                    at: stage.state.after_last(at),
                });
            } else {
                out.push(item);
            }
            return;
        };
        let mut ends = Vec::new();
        self.cuts(stage, 0, bytes.len(), &mut ends);
        let gap = Duration::from_micros(self.delay.max(0) as u64);
        let mut clock = stage.state.after_last(at);
        let mut start = 0;
        for end in ends {
            out.push(Item::Data {
                at: clock,
                bytes: bytes.slice(start..end),
            });
            start = end;
            clock += gap;
        }
        stage.state.last_at = Some(clock);
    }
}
