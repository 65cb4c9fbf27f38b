//! One direction of one proxied connection: read, run the chunk through the
//! active toxics, write when due.
//!
//! ```text
//!   src ──read──> [toxic chain] ──> queue of (due time, item) ──write──> dst
//!                      ^
//!            watch::Receiver<Arc<Chain>>  (swapped by the API, never locked here)
//! ```
//!
//! With no toxic active the loop is a plain copy: read, `write_all`, repeat.
//! With toxics it keeps reading while earlier chunks wait for their due time,
//! so a latency toxic shifts a stream in time without throttling it.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rand::RngExt;
use rand::rngs::StdRng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::chain::{Chain, ToxicEntry};
use crate::toxics::{Item, SlotState, Stage};

/// Read size: one syscall moves up to this much.
const READ_SIZE: usize = 64 * 1024;
/// Stop reading while this many bytes wait in the queue (backpressure).
const MAX_QUEUED: usize = 8 * 1024 * 1024;

/// How a link ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEnd {
    /// The source closed and the destination was half-closed: the other direction goes on.
    Eof,
    /// The connection must close (a toxic ended it, or a socket failed).
    Close,
    /// The connection must be reset (RST).
    Reset,
}

/// What a link needs besides its two sockets.
pub struct LinkCtx {
    pub chain: watch::Receiver<Arc<Chain>>,
    pub rng: StdRng,
    pub received: metrics::Counter,
    pub sent: metrics::Counter,
    /// Called with the toxic type each time a toxic is drawn active on this link.
    pub on_injection: Arc<dyn Fn(&str) + Send + Sync>,
}

/// A toxic as this link applies it.
struct Slot {
    entry: Arc<ToxicEntry>,
    /// Drawn once against the toxicity when the toxic reaches this link.
    active: bool,
    state: SlotState,
}

/// Run one direction until it ends.
pub async fn run<R, W>(mut src: R, mut dst: W, mut cx: LinkCtx) -> LinkEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut slots: Vec<Slot> = Vec::new();
    let first = cx.chain.borrow_and_update().clone();
    let mut queue: VecDeque<Item> = VecDeque::new();
    if let Some(end) = sync_slots(&mut slots, &first, &mut cx, &mut queue) {
        return end;
    }
    let mut queued = 0usize;
    let mut written = 0usize; // bytes of the queue's front already written
    let mut reading = true;
    let mut chain_open = true;
    let mut buf = BytesMut::with_capacity(READ_SIZE);

    loop {
        let idle = slots
            .iter()
            .filter(|s| s.active)
            .filter_map(|s| s.state.idle_deadline)
            .min();
        let front = queue.front().map(|item| match item {
            Item::Data { at, bytes } => (*at, Some(bytes.slice(written..))),
            other => (other.at(), None),
        });
        tokio::select! {
            biased;
            _ = sleep_until(idle.unwrap_or_else(Instant::now)), if idle.is_some() => {
                return LinkEnd::Close;
            }
            res = write_when_due(&mut dst, front.clone()), if front.is_some() => {
                let Some((_, data)) = front else { continue };
                match (res, data) {
                    (Err(_), _) => return LinkEnd::Close,
                    (Ok(n), Some(data)) => {
                        if n == 0 && !data.is_empty() {
                            return LinkEnd::Close;
                        }
                        cx.sent.increment(n as u64);
                        written += n;
                        queued -= n;
                        if n == data.len() {
                            queue.pop_front();
                            written = 0;
                        }
                    }
                    (Ok(_), None) => match queue.pop_front() {
                        Some(Item::Eof { .. }) => {
                            let _ = dst.shutdown().await;
                            return LinkEnd::Eof;
                        }
                        Some(Item::Reset { .. }) => return LinkEnd::Reset,
                        _ => return LinkEnd::Close,
                    },
                }
            }
            res = src.read_buf(&mut buf), if reading && queued < MAX_QUEUED => {
                if chain_open && cx.chain.has_changed().unwrap_or(false) {
                    let chain = cx.chain.borrow_and_update().clone();
                    if let Some(end) = sync_slots(&mut slots, &chain, &mut cx, &mut queue) {
                        return end;
                    }
                }
                let now = Instant::now();
                let fast = queue.is_empty() && !slots.iter().any(|s| s.active);
                let item = match res {
                    Err(_) => return LinkEnd::Close,
                    Ok(0) if fast => {
                        let _ = dst.shutdown().await;
                        return LinkEnd::Eof;
                    }
                    Ok(0) => {
                        reading = false;
                        Item::Eof { at: now }
                    }
                    Ok(n) if fast => {
                        // Fast path: nothing to apply, nothing waiting; reuse the buffer.
                        cx.received.increment(n as u64);
                        if dst.write_all(&buf).await.is_err() {
                            return LinkEnd::Close;
                        }
                        cx.sent.increment(n as u64);
                        buf.clear();
                        continue;
                    }
                    Ok(n) => {
                        cx.received.increment(n as u64);
                        let bytes = buf.split().freeze();
                        buf.reserve(READ_SIZE);
                        Item::Data { at: now, bytes }
                    }
                };
                for out in apply_chain(&mut slots, item, now, &mut cx.rng) {
                    match &out {
                        Item::Data { bytes, .. } => queued += bytes.len(),
                        _ => reading = false,
                    }
                    queue.push_back(out);
                }
            }
            // Last: a ready read must not pay for registering a waiter on the
            // shared channel; reads check `has_changed` themselves.
            changed = cx.chain.changed(), if chain_open => {
                if changed.is_err() {
                    chain_open = false;
                    continue;
                }
                let chain = cx.chain.borrow_and_update().clone();
                if let Some(end) = sync_slots(&mut slots, &chain, &mut cx, &mut queue) {
                    return end;
                }
            }
        }
    }
}

/// Wait until the front item is due, then write (a piece of) it; `Ok(0)` for non-data items.
/// Cancel-safe: a cancelled `write` has written nothing.
async fn write_when_due<W: AsyncWrite + Unpin>(
    dst: &mut W,
    front: Option<(Instant, Option<Bytes>)>,
) -> io::Result<usize> {
    let Some((at, data)) = front else {
        return Ok(0);
    };
    if at > Instant::now() {
        sleep_until(at).await;
    }
    match data {
        Some(bytes) if !bytes.is_empty() => dst.write(&bytes).await,
        _ => Ok(0),
    }
}

/// Run one item through every active toxic, in chain order.
fn apply_chain(slots: &mut [Slot], item: Item, now: Instant, rng: &mut StdRng) -> Vec<Item> {
    let mut items = vec![item];
    for slot in slots.iter_mut().filter(|s| s.active) {
        let mut next = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::Data { .. } | Item::Eof { .. } => {
                    let mut stage = Stage {
                        now,
                        rng,
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

/// Bring the link's slots in line with a new chain. Returns an end if a removed
/// toxic closes the connection.
fn sync_slots(
    slots: &mut Vec<Slot>,
    chain: &Chain,
    cx: &mut LinkCtx,
    queue: &mut VecDeque<Item>,
) -> Option<LinkEnd> {
    let now = Instant::now();
    let mut old: Vec<Slot> = std::mem::take(slots);
    let mut changed = false;
    for entry in &chain.entries {
        let previous = old
            .iter()
            .position(|s| s.entry.name == entry.name)
            .map(|i| old.swap_remove(i));
        let slot = match previous {
            Some(slot) if slot.entry.id == entry.id => slot,
            prev => {
                changed |= prev.is_some();
                let state = prev.map(|s| s.state).unwrap_or_default();
                let active = cx.rng.random::<f32>() < entry.toxicity;
                let mut slot = Slot {
                    entry: entry.clone(),
                    active,
                    state,
                };
                if active {
                    (cx.on_injection)(&entry.kind);
                    let mut stage = Stage {
                        now,
                        rng: &mut cx.rng,
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
        slots.push(slot);
    }
    // What is left in `old` was removed.
    for gone in &old {
        changed = true;
        if gone.active && gone.entry.toxic.closes_on_removal() {
            return Some(LinkEnd::Close);
        }
    }
    if changed {
        // Toxiproxy flushes what a removed or updated toxic held back; do the
        // same, and forget closes and resets that a removed toxic scheduled.
        let removed: Vec<u64> = old.iter().map(|s| s.entry.id).collect();
        queue.retain(|item| match item {
            Item::Close { origin, .. } | Item::Reset { origin, .. } => !removed.contains(origin),
            _ => true,
        });
        for item in queue.iter_mut() {
            match item {
                Item::Data { at, .. } | Item::Eof { at } => *at = (*at).min(now),
                _ => {}
            }
        }
    }
    None
}
