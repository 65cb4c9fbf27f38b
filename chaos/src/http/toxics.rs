//! Toxiproxy's toxics on an http-mode proxy, drawn per request (each toxic's
//! `toxicity` is the chance that it acts on a request):
//!
//! - `latency`: upstream delays forwarding the request, downstream delays the answer;
//! - `bandwidth`, `slicer`, `limit_data`, `slow_close`, `noop`: act on the body
//!   of the request (upstream) or the response (downstream), see [`super::toxic_body`];
//!   `limit_data` counts body bytes; `slow_close` holds back the end of the
//!   body (the message is sent chunked, without `Content-Length`, so the end
//!   is something the peer waits for);
//! - `timeout`: the request is held and never answered; after `timeout` ms
//!   the client connection is closed (0: held until the toxic is removed,
//!   then closed). Upstream before forwarding, downstream after the upstream
//!   answered (the request had its effect, the answer is lost);
//! - `reset_peer`: after `timeout` ms the client connection is reset (RST),
//!   upstream before forwarding, downstream after the upstream answered.

use std::sync::Arc;
use std::time::Duration;

use rand::RngExt;
use rand::rngs::StdRng;

use crate::proxy::Proxy;
use crate::proxy::chain::{Direction, ToxicEntry};

/// What stops a request from being answered.
#[derive(Debug, Clone)]
pub(crate) enum Hold {
    /// Hold, then close the connection (`None`: until the toxic is removed).
    Timeout {
        after: Option<Duration>,
        id: u64,
        direction: Direction,
    },
    /// Wait, then reset the connection.
    Reset { after: Duration },
}

/// The toxics drawn active for one request, per direction (index 0 upstream).
#[derive(Debug, Default)]
pub(crate) struct Drawn {
    pub latency: [Duration; 2],
    pub hold: [Option<Hold>; 2],
    pub body: [Vec<Arc<ToxicEntry>>; 2],
    /// Toxic types drawn active, for the trace and the injection counter.
    pub kinds: Vec<&'static str>,
}

fn int(entry: &ToxicEntry, field: &str) -> i64 {
    entry
        .toxic
        .attributes()
        .get(field)
        .and_then(|v| v.as_i64())
        .unwrap_or(0)
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

/// Draw the toxics of both directions for one request.
pub(crate) fn draw(proxy: &Proxy, rng: &mut StdRng) -> Drawn {
    let mut drawn = Drawn::default();
    for direction in [Direction::Upstream, Direction::Downstream] {
        let i = direction.index();
        for entry in &proxy.current_chain(direction).entries {
            if rng.random::<f32>() >= entry.toxicity {
                continue;
            }
            let kind = crate::toxics::KINDS
                .iter()
                .find(|k| **k == entry.kind)
                .copied()
                .unwrap_or("noop");
            drawn.kinds.push(kind);
            match kind {
                "latency" => {
                    let jitter = int(entry, "jitter");
                    let ms = int(entry, "latency")
                        + if jitter > 0 {
                            rng.random_range(-jitter..jitter)
                        } else {
                            0
                        };
                    drawn.latency[i] += millis(ms);
                }
                "timeout" if drawn.hold[i].is_none() => {
                    let ms = int(entry, "timeout");
                    drawn.hold[i] = Some(Hold::Timeout {
                        after: (ms > 0).then(|| millis(ms)),
                        id: entry.id,
                        direction,
                    });
                }
                "reset_peer" if drawn.hold[i].is_none() => {
                    drawn.hold[i] = Some(Hold::Reset {
                        after: millis(int(entry, "timeout")),
                    });
                }
                "timeout" | "reset_peer" => {}
                _ => drawn.body[i].push(entry.clone()),
            }
        }
    }
    drawn
}

/// Wait out a hold: `true` to reset the connection, `false` to close it.
pub(crate) async fn hold(proxy: &Proxy, hold: &Hold) -> bool {
    match hold {
        Hold::Reset { after } => {
            tokio::time::sleep(*after).await;
            true
        }
        Hold::Timeout {
            after: Some(after), ..
        } => {
            tokio::time::sleep(*after).await;
            false
        }
        Hold::Timeout {
            after: None,
            id,
            direction,
        } => {
            // Until the toxic (this version of it) is removed.
            let mut chain = proxy.chain(*direction);
            loop {
                if !chain
                    .borrow_and_update()
                    .entries
                    .iter()
                    .any(|e| e.id == *id)
                {
                    return false;
                }
                if chain.changed().await.is_err() {
                    return false;
                }
            }
        }
    }
}
