//! What a toxic is: the [`Toxic`] trait, the timed [`Item`]s it turns into
//! other items, the per-link state it keeps, and how it acts on an HTTP
//! message ([`HttpAct`]).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use rand::RngExt;
use rand::rngs::StdRng;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

/// One unit flowing through a link, with the earliest time it may be acted on.
#[derive(Debug, Clone)]
pub enum Item {
    /// Bytes to write to the destination.
    Data { at: Instant, bytes: Bytes },
    /// The source finished sending: half-close the destination.
    Eof { at: Instant },
    /// Close the whole connection (both sockets), as Toxiproxy does when a toxic ends a stream.
    Close { at: Instant, origin: u64 },
    /// Reset the whole connection (SO_LINGER 0, the peer sees ECONNRESET).
    Reset { at: Instant, origin: u64 },
}

impl Item {
    /// When the item may be acted on.
    pub fn at(&self) -> Instant {
        match self {
            Item::Data { at, .. } | Item::Eof { at } => *at,
            Item::Close { at, .. } | Item::Reset { at, .. } => *at,
        }
    }
}

/// What one toxic keeps per link (one direction of one connection, or one body).
#[derive(Debug, Default)]
pub struct SlotState {
    /// The time the last item left this toxic: keeps output in order.
    pub last_at: Option<Instant>,
    /// Bytes let through so far (limit_data).
    pub bytes: u64,
    /// Set once the toxic has fired (reset_peer).
    pub triggered: bool,
    /// Close the connection if nothing arrives before this time (timeout).
    pub idle_deadline: Option<Instant>,
}

impl SlotState {
    /// `at`, but never before the last item this toxic let out.
    pub fn after_last(&self, at: Instant) -> Instant {
        self.last_at.map_or(at, |last| last.max(at))
    }
}

/// What a toxic sees while it handles an item.
pub struct Stage<'a> {
    /// The time the link is handling the item.
    pub now: Instant,
    /// The link's random numbers (seeded from the agent's seed).
    pub rng: &'a mut StdRng,
    /// This toxic's per-link state.
    pub state: &'a mut SlotState,
    /// An id for the items this toxic creates, so removing it can cancel them.
    pub origin: u64,
}

/// A delay of `ms` milliseconds, plus or minus up to `jitter`, drawn each time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    pub ms: i64,
    pub jitter: i64,
}

impl Delay {
    /// One draw (negatives are zero).
    pub fn sample(&self, rng: &mut StdRng) -> Duration {
        let mut ms = self.ms;
        if self.jitter > 0 {
            ms += rng.random_range(-self.jitter..self.jitter);
        }
        millis(ms)
    }
}

/// How a toxic acts on an HTTP message on an http-mode proxy, where it is
/// drawn per request (upstream: the request, downstream: the response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpAct {
    /// On the body's chunks, through [`Toxic::apply`]: the same computation
    /// as on a connection's bytes.
    Body,
    /// On the body, and the toxic holds back the body's end: the message is
    /// sent chunked (no `Content-Length`), so the end is something the peer
    /// waits for.
    BodyAndEnd,
    /// The message waits before it goes on (upstream: before it is
    /// forwarded; downstream: before it is answered).
    Delay(Delay),
    /// The request is never answered; the client connection is closed after
    /// this long (`None`: when the toxic is removed). Downstream, the upstream
    /// gets the request first (its effect happens, the answer is lost).
    Hold { close_after: Option<Duration> },
    /// The client connection is reset (RST) after this long; downstream,
    /// after the upstream answered.
    Reset { after: Duration },
}

impl HttpAct {
    /// Whether the toxic acts on the body (and so runs in the body's chain).
    pub fn on_body(self) -> bool {
        matches!(self, HttpAct::Body | HttpAct::BodyAndEnd)
    }
}

/// A toxic's attributes as Toxiproxy serialises them (every field, defaults
/// included): any serialisable toxic has them.
pub trait Attributes {
    /// The attributes as JSON.
    fn attributes(&self) -> Value;
}

impl<T: Serialize> Attributes for T {
    fn attributes(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A fault applied to one direction of a proxied connection or HTTP message.
pub trait Toxic: Attributes + Send + Sync + fmt::Debug {
    /// Called when the toxic becomes active on a link (connection start or toxic added).
    fn on_activate(&self, _stage: &mut Stage<'_>) {}
    /// Handle one `Data` or `Eof` item, pushing what comes out onto `out`.
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>);
    /// How the toxic acts on an HTTP message (default: on its body).
    fn http(&self) -> HttpAct {
        HttpAct::Body
    }
    /// Rules across attributes, beyond each attribute's range (checked by the
    /// [`super::ToxicDef`]).
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
    /// Whether removing the toxic closes the connections it was active on
    /// (Toxiproxy's `timeout` does: the stream has lost data).
    fn closes_on_removal(&self) -> bool {
        false
    }
}

/// Milliseconds (Toxiproxy's unit for most attributes) as a duration; negatives are zero.
pub fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}
