//! `noop`: lets everything through unchanged (useful to test the plumbing).

use serde::{Deserialize, Serialize};

use super::{Item, Stage, Toxic, ToxicDef};

pub const DEF: ToxicDef = ToxicDef::new(
    "noop",
    "Does nothing (tests the plumbing)",
    &[],
    super::decode::<Noop>,
);

/// Does nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Noop {}

impl Toxic for Noop {
    fn apply(&self, _stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>) {
        out.push(item);
    }
}
