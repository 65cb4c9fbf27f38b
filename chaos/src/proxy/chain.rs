//! The toxics of one proxy, as the data path sees them: one immutable chain per
//! direction, replaced whole (through a `watch` channel) whenever the API
//! changes a toxic. Links never lock anything to read it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::toxics::Toxic;

/// Which way bytes flow. `Upstream` is client to server, as in Toxiproxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client to server.
    Upstream,
    /// Server to client.
    Downstream,
}

impl Direction {
    /// Toxiproxy's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upstream => "upstream",
            Direction::Downstream => "downstream",
        }
    }

    /// Parse Toxiproxy's `stream` field (case-insensitive).
    pub fn parse(stream: &str) -> Option<Self> {
        match stream.to_ascii_lowercase().as_str() {
            "upstream" => Some(Direction::Upstream),
            "downstream" => Some(Direction::Downstream),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Direction::Upstream => 0,
            Direction::Downstream => 1,
        }
    }
}

/// One toxic as configured on a proxy. A new entry (new `id`) replaces the old
/// one on every update, so links can tell an update from no change.
#[derive(Debug)]
pub struct ToxicEntry {
    /// Unique per version of the toxic.
    pub id: u64,
    pub name: String,
    /// The toxic's type name (`latency`, ...).
    pub kind: String,
    /// The `stream` field as the client sent it.
    pub stream: String,
    pub direction: Direction,
    /// Probability that the toxic applies to a given connection and direction.
    pub toxicity: f32,
    pub toxic: Arc<dyn Toxic>,
    /// When a toxic created with a duration removes itself.
    pub expires: Option<Instant>,
}

/// The toxics of one direction, in the order they apply.
#[derive(Debug, Default)]
pub struct Chain {
    pub entries: Vec<Arc<ToxicEntry>>,
}
