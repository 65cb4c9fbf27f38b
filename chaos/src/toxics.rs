//! Toxics: the faults a TCP proxy applies to the bytes of one direction of a
//! connection, with Toxiproxy's names, attributes and behaviour.
//!
//! One toxic per file behind the small [`Toxic`] trait, and a registry by name
//! ([`build`]). A link (one direction of one connection) reads a chunk, stamps
//! it with the time it was read, and runs it through the chain of toxics that
//! are active on it. A toxic turns each [`Item`] into zero or more items, each
//! with the time it may be written at; it never sleeps and never does I/O, so
//! the link stays a single task and the control API never waits on traffic.
//!
//! ```text
//!  read ──> Item::Data{at} ──> toxic 1 ──> toxic 2 ──> queue ──(when due)──> write
//!  EOF  ──> Item::Eof{at}  ──────────────────────────────────────────────> shutdown(Write)
//! ```

mod bandwidth;
mod latency;
mod limit_data;
mod noop;
mod reset_peer;
mod slicer;
mod slow_close;
mod timeout;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use rand::rngs::StdRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::time::Instant;

pub use bandwidth::Bandwidth;
pub use latency::Latency;
pub use limit_data::LimitData;
pub use noop::Noop;
pub use reset_peer::ResetPeer;
pub use slicer::Slicer;
pub use slow_close::SlowClose;
pub use timeout::Timeout;

/// Every toxic type the agent knows, in Toxiproxy's spelling.
pub const KINDS: &[&str] = &[
    "latency",
    "bandwidth",
    "slow_close",
    "timeout",
    "reset_peer",
    "slicer",
    "limit_data",
    "noop",
];

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

/// What one toxic keeps per link (one direction of one connection).
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

/// A fault applied to one direction of a TCP connection.
pub trait Toxic: Send + Sync + fmt::Debug {
    /// The attributes as Toxiproxy serialises them (every field, defaults included).
    fn attributes(&self) -> Value;
    /// Called when the toxic becomes active on a link (connection start or toxic added).
    fn on_activate(&self, _stage: &mut Stage<'_>) {}
    /// Handle one `Data` or `Eof` item, pushing what comes out onto `out`.
    fn apply(&self, stage: &mut Stage<'_>, item: Item, out: &mut Vec<Item>);
    /// Check the attribute values: the one set of rules for this toxic, used
    /// by the API when a toxic is added or updated and by `chaoslab run --check`.
    /// `given` tells which attributes the request named: a few of
    /// Toxiproxy's defaults make no sense as values (bandwidth `rate` 0,
    /// slicer `average_size` 0) but are kept when left out, for its clients.
    fn validate(&self, given: &Given) -> Result<(), String>;
    /// Whether removing the toxic closes the connections it was active on
    /// (Toxiproxy's `timeout` does: the stream has lost data).
    fn closes_on_removal(&self) -> bool {
        false
    }
}

/// Why a toxic could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BuildError {
    /// No toxic has this name.
    #[error("invalid toxic type")]
    UnknownKind,
    /// The attributes did not decode.
    #[error("bad request body: {0}")]
    BadAttributes(String),
}

/// The attribute names a request gave (the others take their defaults).
#[derive(Debug, Default)]
pub struct Given(Vec<String>);

impl Given {
    /// The names in `attributes` (an object; anything else names none).
    pub fn of(attributes: &Value) -> Self {
        Given(
            attributes
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        )
    }
    /// Whether the request named `field`.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|f| f == field)
    }
    /// The lowest value of `field`: `min` when given, `default` when left
    /// out (a Toxiproxy default kept for compatibility).
    pub fn min_or_default(&self, field: &str, min: i64, default: i64) -> i64 {
        if self.has(field) {
            min
        } else {
            min.min(default)
        }
    }
}

/// Build a toxic of `kind` from `attributes` (null or an object; missing fields take defaults).
pub fn build(kind: &str, attributes: &Value) -> Result<Arc<dyn Toxic>, BuildError> {
    build_given(kind, attributes, &Given::of(attributes))
}

fn build_given(
    kind: &str,
    attributes: &Value,
    given: &Given,
) -> Result<Arc<dyn Toxic>, BuildError> {
    match kind {
        "latency" => decode::<Latency>(attributes, given),
        "bandwidth" => decode::<Bandwidth>(attributes, given),
        "slow_close" => decode::<SlowClose>(attributes, given),
        "timeout" => decode::<Timeout>(attributes, given),
        "reset_peer" => decode::<ResetPeer>(attributes, given),
        "slicer" => decode::<Slicer>(attributes, given),
        "limit_data" => decode::<LimitData>(attributes, given),
        "noop" => decode::<Noop>(attributes, given),
        _ => Err(BuildError::UnknownKind),
    }
}

/// Rebuild a toxic with some attributes changed: fields absent from `patch` keep their value.
pub fn rebuild(kind: &str, current: &Value, patch: &Value) -> Result<Arc<dyn Toxic>, BuildError> {
    let mut merged: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    match patch {
        Value::Null => {}
        Value::Object(fields) => merged.extend(fields.clone()),
        other => {
            return Err(BuildError::BadAttributes(format!(
                "attributes must be an object, got {other}"
            )));
        }
    }
    // Only the patched attributes count as given: the others were checked
    // when they were set.
    build_given(kind, &Value::Object(merged), &Given::of(patch))
}

fn decode<T>(attributes: &Value, given: &Given) -> Result<Arc<dyn Toxic>, BuildError>
where
    T: Toxic + DeserializeOwned + Default + Serialize + 'static,
{
    let toxic = match attributes {
        Value::Null => T::default(),
        Value::Object(_) => serde_json::from_value::<T>(attributes.clone())
            .map_err(|e| BuildError::BadAttributes(format!("attributes: {e}")))?,
        other => {
            return Err(BuildError::BadAttributes(format!(
                "attributes must be an object, got {other}"
            )));
        }
    };
    toxic
        .validate(given)
        .map_err(|e| BuildError::BadAttributes(format!("attributes: {e}")))?;
    Ok(Arc::new(toxic))
}

/// The longest time, in ms, any toxic attribute may hold a connection (an hour).
pub const MAX_MS: i64 = 3_600_000;
/// The highest bandwidth `rate`, in KB/s (1 TB/s: beyond that nothing is limited).
pub const MAX_RATE_KB: i64 = 1_000_000_000;

/// `field` must be within `min..=max`.
pub(crate) fn check_range(field: &str, value: i64, min: i64, max: i64) -> Result<(), String> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!("{field} must be from {min} to {max}, got {value}"))
    }
}

/// `field` is milliseconds: from 0 to [`MAX_MS`].
pub(crate) fn check_ms(field: &str, value: i64) -> Result<(), String> {
    check_range(field, value, 0, MAX_MS)
}

/// A toxic's `toxicity`: the chance it acts, from 0 to 1.
pub fn check_toxicity(toxicity: f32) -> Result<(), String> {
    if toxicity.is_finite() && (0.0..=1.0).contains(&toxicity) {
        Ok(())
    } else {
        Err(format!("toxicity must be from 0 to 1, got {toxicity}"))
    }
}

/// Serialise a toxic's attributes (helper for the [`Toxic::attributes`] impls).
pub(crate) fn to_value<T: Serialize>(toxic: &T) -> Value {
    serde_json::to_value(toxic).unwrap_or(Value::Null)
}

/// Milliseconds (Toxiproxy's unit for most attributes) as a duration; negatives are zero.
pub(crate) fn millis(ms: i64) -> std::time::Duration {
    std::time::Duration::from_millis(ms.max(0) as u64)
}
