//! `latency`: delays every chunk by `latency` ms, plus or minus up to `jitter` ms.
//!
//! The delay counts from the time the chunk was read, and chunks stay in order,
//! so a stream keeps its throughput and is shifted in time (as in Toxiproxy).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Item, Stage, Toxic, millis};
use rand::RngExt;

/// Adds a delay to each chunk.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    /// Milliseconds added to each chunk.
    pub latency: i64,
    /// Up to this many milliseconds more or less, drawn per chunk.
    pub jitter: i64,
}

impl Latency {
    fn delay(&self, stage: &mut Stage<'_>) -> std::time::Duration {
        let mut ms = self.latency;
        if self.jitter > 0 {
            ms += stage.rng.random_range(-self.jitter..self.jitter);
        }
        millis(ms)
    }
}

impl Toxic for Latency {
    fn validate(&self, _given: &super::Given) -> Result<(), String> {
        super::check_ms("latency", self.latency)?;
        super::check_ms("jitter", self.jitter)
    }
    fn attributes(&self) -> Value {
        super::to_value(self)
    }
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        match item {
            Item::Data { at, bytes } => {
                let delay = self.delay(stage);
                let at = stage.state.after_last(at + delay);
                stage.state.last_at = Some(at);
                out.push(Item::Data { at, bytes });
            }
            Item::Eof { at } => out.push(Item::Eof {
                at: stage.state.after_last(at),
            }),
            other => out.push(other),
        }
    }
}
