//! The one piece of code that runs a proxy's toxic chain, for both data
//! paths: a tcp connection's link (every toxic of the direction) and an
//! http-mode message body (the toxics that act on bodies, [`HttpAct::on_body`]).
//!
//! ```text
//!  chain (watch) ──sync──> slots: (toxic, drawn active?, its state), in chain order
//!  item ──apply──> active toxic 1 ──> active toxic 2 ──> timed items for the queue
//! ```
//!
//! A toxic is drawn against its toxicity when it reaches the runner (at the
//! start, or when it is added or updated); an update keeps its state. When
//! the chain changes, what a removed or updated toxic held back is released
//! at once (as Toxiproxy flushes), and the closes and resets a removed toxic
//! scheduled are forgotten.

use std::collections::VecDeque;
use std::sync::Arc;

use rand::RngExt;
use rand::rngs::StdRng;
use tokio::time::Instant;

use super::chain::{Chain, ToxicEntry};
use crate::toxics::{Item, SlotState, Stage};

/// Which toxics of the chain a runner applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One direction of a tcp connection: every toxic.
    Connection,
    /// One http message body: the toxics that act on bodies.
    Body,
}

impl Scope {
    fn admits(self, entry: &ToxicEntry) -> bool {
        match self {
            Scope::Connection => true,
            Scope::Body => entry.toxic.http().on_body(),
        }
    }
}

/// A toxic as one runner applies it.
struct Slot {
    entry: Arc<ToxicEntry>,
    /// Drawn against the toxicity when the toxic reached this runner.
    active: bool,
    state: SlotState,
}

/// A removed toxic ended the stream (Toxiproxy's `timeout`): close it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MustClose;

/// Runs a chain of toxics over the items of one link or body.
pub struct Runner {
    scope: Scope,
    slots: Vec<Slot>,
    rng: StdRng,
    /// Called with the toxic type each time a toxic is drawn active.
    on_injection: Arc<dyn Fn(&str) + Send + Sync>,
}

impl Runner {
    /// A runner with no toxics yet: call [`Runner::sync`] with the chain.
    pub fn new(scope: Scope, rng: StdRng, on_injection: Arc<dyn Fn(&str) + Send + Sync>) -> Self {
        Self {
            scope,
            slots: Vec::new(),
            rng,
            on_injection,
        }
    }

    /// Whether any toxic is active (none: the data path may copy directly).
    pub fn is_active(&self) -> bool {
        self.slots.iter().any(|s| s.active)
    }

    /// The types of the active toxics, in chain order.
    pub fn active_kinds(&self) -> impl Iterator<Item = &str> {
        self.slots
            .iter()
            .filter(|s| s.active)
            .map(|s| s.entry.kind.as_str())
    }

    /// Whether an active toxic holds back the end of a body
    /// ([`crate::toxics::HttpAct::BodyAndEnd`]).
    pub fn holds_end(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.active && s.entry.toxic.http() == crate::toxics::HttpAct::BodyAndEnd)
    }

    /// The earliest time an active toxic closes the stream for lack of data.
    pub fn idle_deadline(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter(|s| s.active)
            .filter_map(|s| s.state.idle_deadline)
            .min()
    }

    /// Bring the slots in line with `chain`, releasing what `queue` holds for
    /// toxics that changed. `Err` if a removed toxic closes the stream.
    pub fn sync(&mut self, chain: &Chain, queue: &mut VecDeque<Item>) -> Result<(), MustClose> {
        let now = Instant::now();
        let mut old: Vec<Slot> = std::mem::take(&mut self.slots);
        let mut changed = false;
        for entry in chain.entries.iter().filter(|e| self.scope.admits(e)) {
            let previous = old
                .iter()
                .position(|s| s.entry.name == entry.name)
                .map(|i| old.swap_remove(i));
            let slot = match previous {
                Some(slot) if slot.entry.id == entry.id => slot,
                prev => {
                    changed |= prev.is_some();
                    let state = prev.map(|s| s.state).unwrap_or_default();
                    let active = self.rng.random::<f32>() < entry.toxicity;
                    let mut slot = Slot {
                        entry: entry.clone(),
                        active,
                        state,
                    };
                    if active {
                        (self.on_injection)(&entry.kind);
                        let mut stage = Stage {
                            now,
                            rng: &mut self.rng,
                            state: &mut slot.state,
                            origin: entry.id,
                        };
                        entry.toxic.on_activate(&mut stage);
                    } else {
                        slot.state.idle_deadline = None;
                    }
                    slot
                }
            };
            self.slots.push(slot);
        }
        // What is left in `old` was removed.
        for gone in &old {
            changed = true;
            if gone.active && gone.entry.toxic.closes_on_removal() {
                return Err(MustClose);
            }
        }
        if changed {
            let removed: Vec<u64> = old.iter().map(|s| s.entry.id).collect();
            queue.retain(|item| match item {
                Item::Close { origin, .. } | Item::Reset { origin, .. } => {
                    !removed.contains(origin)
                }
                _ => true,
            });
            for item in queue.iter_mut() {
                if let Item::Data { at, .. } | Item::Eof { at } = item {
                    *at = (*at).min(now);
                }
            }
        }
        Ok(())
    }

    /// Run one item through every active toxic, in chain order, into the
    /// items to queue. Closes and resets pass the later toxics untouched.
    pub fn apply(&mut self, item: Item, now: Instant) -> Vec<Item> {
        let mut items = vec![item];
        for slot in self.slots.iter_mut().filter(|s| s.active) {
            let mut next = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Item::Data { .. } | Item::Eof { .. } => {
                        let mut stage = Stage {
                            now,
                            rng: &mut self.rng,
                            state: &mut slot.state,
                            origin: slot.entry.id,
                        };
                        slot.entry.toxic.apply(&mut stage, item, &mut next);
                    }
                    terminal => next.push(terminal),
                }
            }
            items = next;
        }
        items
    }
}
