//! `latency`: delays every chunk by `latency` ms, plus or minus up to `jitter` ms.
//!
//! The delay counts from the time the chunk was read, and chunks stay in order,
//! so a stream keeps its throughput and is shifted in time (as in Toxiproxy).
//! In http mode the whole message waits: upstream before it is forwarded,
//! downstream before it is answered.

use serde::{Deserialize, Serialize};

use super::{Attr, Delay, HttpAct, Item, Stage, Toxic, ToxicDef};

pub const DEF: ToxicDef = ToxicDef::new(
    "latency",
    "Delays the data by `latency` ms, give or take `jitter` ms",
    &[
        Attr::ms("latency", "Milliseconds added to each chunk")
            .needed()
            .presets(&[100, 300, 1000, 3000, 50]),
        Attr::ms("jitter", "Up to this many milliseconds more or less, drawn per chunk"),
    ],
    super::decode::<Latency>,
);

/// Adds a delay to each chunk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub latency: i64,
    pub jitter: i64,
}

impl Latency {
    fn delay(&self) -> Delay {
        Delay {
            ms: self.latency,
            jitter: self.jitter,
        }
    }
}

impl Toxic for Latency {
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        match item {
            Item::Data { at, bytes } => {
                let delay = self.delay().sample(stage.rng);
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
    fn http(&self) -> HttpAct {
        HttpAct::Delay(self.delay())
    }
}
