//! `slicer`: cuts each chunk into pieces of about `average_size` bytes
//! (give or take `size_variation`), `delay` microseconds apart. In http mode
//! it sends the body in such pieces.

use std::time::Duration;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{Attr, Item, MAX_MS, Stage, Toxic, ToxicDef};

const SIZE_MAX: i64 = u32::MAX as i64;

pub const DEF: ToxicDef = ToxicDef::new(
    "slicer",
    "Cuts the data into pieces of about `average_size` bytes, `delay` us apart",
    &[
        Attr {
            name: "average_size",
            unit: "bytes",
            about: "The size pieces aim for; left out, Toxiproxy's 0",
            default: 0,
            min: 1,
            max: SIZE_MAX,
            needed: false,
            presets: &[64, 1024, 8],
        },
        Attr {
            name: "size_variation",
            unit: "bytes",
            about: "How far a cut may stray from the middle",
            default: 0,
            min: 0,
            max: SIZE_MAX,
            needed: false,
            presets: &[],
        },
        Attr {
            name: "delay",
            unit: "us",
            about: "Microseconds between pieces",
            default: 0,
            min: 0,
            max: MAX_MS * 1000,
            needed: false,
            presets: &[],
        },
    ],
    super::decode::<Slicer>,
);

/// Splits writes into small pieces.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slicer {
    pub average_size: i64,
    pub size_variation: i64,
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
