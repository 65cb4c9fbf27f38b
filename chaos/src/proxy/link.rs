//! One direction of one proxied connection: read, run the chunk through the
//! active toxics, write when due.
//!
//! ```text
//!   src ──read──> [toxic chain] ──> queue of (due time, item) ──write──> dst
//!                      ^
//!            watch::Receiver<Arc<Chain>>  (swapped by the API, never locked here)
//! ```
//!
//! The chain is run by the [`Runner`] (shared with http-mode bodies). With no
//! toxic active the loop is a plain copy: read, `write_all`, repeat.
//! With toxics it keeps reading while earlier chunks wait for their due time,
//! so a latency toxic shifts a stream in time without throttling it.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rand::rngs::StdRng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::chain::Chain;
use super::runner::{Runner, Scope};
use crate::toxics::Item;

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

/// Run one direction until it ends.
pub async fn run<R, W>(mut src: R, mut dst: W, mut cx: LinkCtx) -> LinkEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut runner = Runner::new(Scope::Connection, cx.rng, cx.on_injection);
    let first = cx.chain.borrow_and_update().clone();
    let mut queue: VecDeque<Item> = VecDeque::new();
    if runner.sync(&first, &mut queue).is_err() {
        return LinkEnd::Close;
    }
    let mut queued = 0usize;
    let mut written = 0usize; // bytes of the queue's front already written
    let mut reading = true;
    let mut chain_open = true;
    let mut buf = BytesMut::with_capacity(READ_SIZE);

    loop {
        let idle = runner.idle_deadline();
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
                    if runner.sync(&chain, &mut queue).is_err() {
                        return LinkEnd::Close;
                    }
                }
                let now = Instant::now();
                let fast = queue.is_empty() && !runner.is_active();
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
                for out in runner.apply(item, now) {
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
                if runner.sync(&chain, &mut queue).is_err() {
                    return LinkEnd::Close;
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
        crate::timer::sleep_until(at).await;
    }
    match data {
        Some(bytes) if !bytes.is_empty() => dst.write(&bytes).await,
        _ => Ok(0),
    }
}
