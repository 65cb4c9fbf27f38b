//! `slow_close`: delays the end of the stream (the FIN) by `delay` ms. In
//! http mode it holds back the end of the body (the message goes chunked, so
//! the end is something the peer waits for).

use serde::{Deserialize, Serialize};

use super::model::millis;
use super::{Attr, HttpAct, Item, Stage, Toxic, ToxicDef};

pub const DEF: ToxicDef = ToxicDef::new(
    "slow_close",
    "Delays the end of the stream by `delay` ms",
    &[Attr::ms(
        "delay",
        "Milliseconds between the source closing and the destination seeing it",
    )
    .presets(&[1000, 5000, 100])],
    super::decode::<SlowClose>,
);

/// Holds the close back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlowClose {
    pub delay: i64,
}

impl Toxic for SlowClose {
    fn apply(&self, _stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        match item {
            Item::Eof { at } => out.push(Item::Eof {
                at: at + millis(self.delay),
            }),
            other => out.push(other),
        }
    }
    fn http(&self) -> HttpAct {
        HttpAct::BodyAndEnd
    }
}
