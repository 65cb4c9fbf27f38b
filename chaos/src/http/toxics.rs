//! Toxiproxy's toxics on an http-mode proxy, drawn per request (each toxic's
//! `toxicity` is the chance that it acts on a request). Each toxic says how it
//! acts on a message ([`Toxic::http`], in its own file): on the body (run by
//! the same [`Runner`] as a tcp link, see [`super::toxic_body`]), or on the
//! message as a whole: a delay, a hold that never answers, or a reset. This
//! file carries out the second kind; upstream acts on the request, downstream
//! on the response.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::watch;

use crate::proxy::Proxy;
use crate::proxy::chain::{Chain, Direction};
use crate::proxy::runner::{Runner, Scope};
use crate::toxics::HttpAct;

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

/// The whole-message toxics drawn active for one request, per direction
/// (index 0 upstream). Body toxics are drawn by the body's runner.
#[derive(Debug, Default)]
pub(crate) struct Drawn {
    pub latency: [Duration; 2],
    pub hold: [Option<Hold>; 2],
    /// Toxic types drawn active, for the trace and the injection counter.
    pub kinds: Vec<String>,
}

/// Draw the whole-message toxics of both directions for one request.
pub(crate) fn draw(proxy: &Proxy, rng: &mut StdRng) -> Drawn {
    let mut drawn = Drawn::default();
    for direction in [Direction::Upstream, Direction::Downstream] {
        let i = direction.index();
        for entry in &proxy.current_chain(direction).entries {
            let act = entry.toxic.http();
            if act.on_body() || rng.random::<f32>() >= entry.toxicity {
                continue;
            }
            drawn.kinds.push(entry.kind.clone());
            match act {
                HttpAct::Delay(delay) => drawn.latency[i] += delay.sample(rng),
                HttpAct::Hold { close_after } if drawn.hold[i].is_none() => {
                    drawn.hold[i] = Some(Hold::Timeout {
                        after: close_after,
                        id: entry.id,
                        direction,
                    });
                }
                HttpAct::Reset { after } if drawn.hold[i].is_none() => {
                    drawn.hold[i] = Some(Hold::Reset { after });
                }
                _ => {}
            }
        }
    }
    drawn
}

/// The body toxics drawn for one message of `direction`, with the chain they
/// follow; `None` when none is drawn (the body is passed through as it is).
/// `on_injection` is called for each one drawn, now or later.
pub(crate) fn body_toxics(
    proxy: &Proxy,
    direction: Direction,
    rng: &mut StdRng,
    on_injection: impl Fn(&str) + Send + Sync + 'static,
) -> Option<(Runner, watch::Receiver<Arc<Chain>>)> {
    let mut chain = proxy.chain(direction);
    let current = chain.borrow_and_update().clone();
    if !current.entries.iter().any(|e| e.toxic.http().on_body()) {
        return None;
    }
    let rng = StdRng::seed_from_u64(rng.random());
    let mut runner = Runner::new(Scope::Body, rng, Arc::new(on_injection));
    // Body toxics never close on removal, so the first sync cannot fail.
    runner.sync(&current, &mut VecDeque::new()).ok()?;
    runner.is_active().then_some((runner, chain))
}

/// Wait out a hold: `true` to reset the connection, `false` to close it.
pub(crate) async fn hold(proxy: &Proxy, hold: &Hold) -> bool {
    match hold {
        Hold::Reset { after } => {
            crate::timer::sleep(*after).await;
            true
        }
        Hold::Timeout {
            after: Some(after), ..
        } => {
            crate::timer::sleep(*after).await;
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
