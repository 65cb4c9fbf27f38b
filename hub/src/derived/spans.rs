//! RED numbers and the service graph from spans, in the spirit of the
//! OpenTelemetry Collector's spanmetrics and servicegraph connectors.
//!
//! ```text
//!  server/consumer span ──at ingest──> per (service, route, method, status) histogram
//!        └─ has a parent ──queued──> after GRACE: look the parent up in its trace
//!              parent is a client/producer span of another service A ──> edge A → B
//!              parent is a server span of another service P (a proxy that
//!              forwards without a client span) ──> edge (P's caller) → B
//!              the span itself forwards to a server span of another
//!              service (it is such a proxy) ──> no edge of its own
//! ```
//!
//! Edges wait [`GRACE`] so that both ends of a call (sent by different
//! processes, in different batches) have arrived. An edge's latency and
//! errors are the caller's view (its client span), as the servicegraph
//! connector's `client` side; for producer/consumer pairs the latency is
//! from the publish's start to the processing's end, and the message's wait
//! in the broker (the publish's end to the processing's start) is kept as
//! well, under [`MESSAGE_WAIT`]: an edge with waits is asynchronous.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chaoslab_kit::names::{self, label};

use super::hist::{Hist, Labels, labels};
use crate::metrics::exposition::Sample;
use crate::traces::ids::{SpanId, TraceId};
use crate::traces::span::StoredSpan;
use crate::traces::store::{Trace, TraceStore};

/// How long an edge candidate waits for the rest of its trace, ms.
pub const GRACE_MS: u64 = 800;
/// Most edge candidates waiting; past it the oldest are dropped (counted).
pub const MAX_PENDING: usize = 200_000;
/// Most histograms kept per kind (routes × statuses, or edges); past it new
/// routes are folded into [`OTHER_ROUTE`].
pub const MAX_STREAMS: usize = 4_000;
/// The route of span streams past [`MAX_STREAMS`].
pub const OTHER_ROUTE: &str = "(other)";
/// The hub's own series (never scraped, never exported) of the time a
/// message waited between its publish and its processing, per
/// producer → consumer edge, in seconds.
pub const MESSAGE_WAIT: &str = "hub_message_wait_seconds";

const SERVER: u8 = 2;
const CLIENT: u8 = 3;
const PRODUCER: u8 = 4;
const CONSUMER: u8 = 5;

/// The spans-derived histograms and the edge candidates.
#[derive(Debug, Default)]
pub struct SpanRed {
    servers: BTreeMap<Labels, Hist>,
    edges: BTreeMap<Labels, Hist>,
    waits: BTreeMap<Labels, Hist>,
    pending: VecDeque<(u64, TraceId, SpanId)>,
    /// Per service, server spans seen forwarding to a server span of
    /// another service with no client span between (what a proxy does).
    forwarded: BTreeMap<String, u64>,
    /// Candidates dropped because too many waited.
    pub dropped: u64,
}

fn secs(s: &StoredSpan) -> f64 {
    s.end_unix_nano.saturating_sub(s.start_unix_nano) as f64 / 1e9
}

/// A span's HTTP status code, from the stable or the old semconv name.
fn status_code(s: &StoredSpan) -> Option<i64> {
    s.int_attr("http.response.status_code")
        .or_else(|| s.int_attr("http.status_code"))
}

/// Failed: status Error, or an HTTP status of 500 or more.
fn failed(s: &StoredSpan) -> bool {
    s.is_error() || status_code(s).is_some_and(|c| c >= 500)
}

/// What names a server span stream, borrowed from the span: one request's
/// spans are grouped by it before the histograms are touched.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct StreamKey<'a> {
    service: &'a str,
    route: &'a str,
    method: Option<&'a str>,
    status: Option<i64>,
    error: bool,
}

impl<'a> StreamKey<'a> {
    /// Reads the route, method and status in one pass over the attributes
    /// (stable semconv names first, the old ones as fallbacks).
    fn of(s: &'a StoredSpan) -> Self {
        use crate::traces::span::AttrValue;
        let (mut route, mut dest, mut method, mut old_method) = (None, None, None, None);
        let (mut status, mut old_status) = (None, None);
        for a in &s.attributes {
            let int = || match &a.value {
                AttrValue::Int(i) => Some(*i),
                AttrValue::Str(v) => v.parse().ok(),
                _ => None,
            };
            let text = || match &a.value {
                AttrValue::Str(v) => Some(&**v),
                _ => None,
            };
            match &*a.key {
                "http.route" if route.is_none() => route = text(),
                "messaging.destination.name" if dest.is_none() => dest = text(),
                "http.request.method" if method.is_none() => method = text(),
                "http.method" if old_method.is_none() => old_method = text(),
                "http.response.status_code" if status.is_none() => status = int(),
                "http.status_code" if old_status.is_none() => old_status = int(),
                _ => {}
            }
        }
        StreamKey {
            service: &s.service,
            route: route.or(dest).unwrap_or(&s.name),
            // Bounded like the services' own labels: a made-up method is `_OTHER`.
            method: method
                .or(old_method)
                .filter(|m| !m.is_empty())
                .map(names::http_method),
            status: status.or(old_status),
            error: s.is_error(),
        }
    }

    fn labels(&self) -> Labels {
        labels([
            (label::SERVICE, Some(self.service.to_string())),
            (label::ROUTE, Some(self.route.to_string())),
            (label::METHOD, self.method.map(str::to_string)),
            (label::STATUS, self.status.map(|c| c.to_string())),
            (label::ERROR_TYPE, self.error.then(|| "error".to_string())),
        ])
    }
}

impl SpanRed {
    /// Counts what arrived: server and consumer spans into their service's
    /// histograms, and queues those with a parent as edge candidates.
    ///
    /// The spans of one request are grouped by stream first (borrowed keys,
    /// no allocation per span), so each stream's labels are built and its
    /// histogram looked up once per request, not once per span.
    pub fn observe(&mut self, now_ms: u64, spans: &[(TraceId, StoredSpan)]) {
        let mut batch: HashMap<StreamKey<'_>, Vec<f64>, foldhash::fast::RandomState> =
            HashMap::default();
        for (tid, s) in spans {
            if s.kind != SERVER && s.kind != CONSUMER {
                continue;
            }
            batch.entry(StreamKey::of(s)).or_default().push(secs(s));
            if s.parent_id != 0 {
                if self.pending.len() >= MAX_PENDING {
                    self.pending.pop_front();
                    self.dropped += 1;
                }
                self.pending.push_back((now_ms, *tid, s.span_id));
            }
        }
        for (key, durations) in batch {
            let mut l = key.labels();
            if self.servers.len() >= MAX_STREAMS && !self.servers.contains_key(&l) {
                for (k, v) in l.iter_mut() {
                    if k == label::ROUTE {
                        *v = OTHER_ROUTE.to_string();
                    }
                }
            }
            let h = self
                .servers
                .entry(l)
                .or_insert_with(|| Hist::with_bounds(&names::HTTP_DURATION_BUCKETS));
            for d in durations {
                h.observe(d);
            }
        }
    }

    /// Resolves the edge candidates older than [`GRACE_MS`] against the
    /// store.
    pub fn resolve(&mut self, now_ms: u64, store: &TraceStore) {
        let mut due: HashMap<TraceId, Vec<SpanId>, foldhash::fast::RandomState> =
            HashMap::default();
        while let Some(&(t, tid, sid)) = self.pending.front() {
            if t + GRACE_MS > now_ms {
                break;
            }
            self.pending.pop_front();
            due.entry(tid).or_default().push(sid);
        }
        if due.is_empty() {
            return;
        }
        let ids: Vec<TraceId> = due.keys().copied().collect();
        let mut found: Vec<EdgeSeen> = Vec::new();
        let mut forwards: Vec<String> = Vec::new();
        store.with_traces(&ids, |tid, trace| {
            for sid in &due[&tid] {
                match edge_of(trace, *sid) {
                    Found::Edge(e) => found.push(e),
                    Found::Forwards(service) => forwards.push(service),
                    Found::Nothing => {}
                }
            }
        });
        for s in forwards {
            if self.forwarded.len() < MAX_STREAMS || self.forwarded.contains_key(&s) {
                *self.forwarded.entry(s).or_default() += 1;
            }
        }
        for e in found {
            let l = labels([
                (label::SERVICE, Some(e.from.clone())),
                (label::SERVER_ADDRESS, Some(e.to.clone())),
                (label::ERROR_TYPE, e.failed.then(|| "error".to_string())),
            ]);
            if self.edges.len() >= MAX_STREAMS && !self.edges.contains_key(&l) {
                continue;
            }
            self.edges
                .entry(l)
                .or_insert_with(|| Hist::with_bounds(&names::HTTP_DURATION_BUCKETS))
                .observe(e.latency);
            if let Some(wait) = e.wait {
                let l = labels([
                    (label::SERVICE, Some(e.from)),
                    (label::SERVER_ADDRESS, Some(e.to)),
                ]);
                self.waits
                    .entry(l)
                    .or_insert_with(|| Hist::with_bounds(&names::HTTP_DURATION_BUCKETS))
                    .observe(wait);
            }
        }
    }

    /// Services seen forwarding calls as a proxy does (see the module doc).
    pub fn proxies(&self) -> Vec<String> {
        self.forwarded.keys().cloned().collect()
    }

    /// Every histogram as series: servers under the server duration name,
    /// edges under the client duration name (`service` = caller,
    /// `server_address` = callee).
    pub fn render(&self) -> Vec<Sample> {
        let mut out = Vec::new();
        for (l, h) in &self.servers {
            h.render(names::HTTP_SERVER_DURATION, l, &mut out);
        }
        for (l, h) in &self.edges {
            h.render(names::HTTP_CLIENT_DURATION, l, &mut out);
        }
        for (l, h) in &self.waits {
            h.render(MESSAGE_WAIT, l, &mut out);
        }
        out
    }
}

fn find(trace: &Trace, id: SpanId) -> Option<&StoredSpan> {
    trace.spans.iter().find(|s| s.span_id == id)
}

/// One call between services: the caller's view.
struct EdgeSeen {
    from: String,
    to: String,
    /// Seconds.
    latency: f64,
    failed: bool,
    /// For a message: seconds from its publish's end to its processing's start.
    wait: Option<f64>,
}

/// What resolving one server or consumer span found.
enum Found {
    Edge(EdgeSeen),
    /// The span forwards to another service's server span: its service
    /// acts as a proxy.
    Forwards(String),
    Nothing,
}

fn edge_of(trace: &Trace, sid: SpanId) -> Found {
    match edge_parts(trace, sid) {
        Some(Ok(e)) => Found::Edge(e),
        Some(Err(service)) => Found::Forwards(service),
        None => Found::Nothing,
    }
}

/// The edge a server or consumer span closes, `Err(service)` when it
/// forwards, `None` when it is no cross-service call.
fn edge_parts(trace: &Trace, sid: SpanId) -> Option<Result<EdgeSeen, String>> {
    let s = find(trace, sid)?;
    let p = find(trace, s.parent_id)?;
    if p.service == s.service {
        return None;
    }
    let forwards = trace.spans.iter().any(|x| {
        x.parent_id == s.span_id
            && (x.kind == SERVER || x.kind == CONSUMER)
            && x.service != s.service
    });
    if forwards {
        return Some(Err(s.service.to_string()));
    }
    let to = s.service.to_string();
    let edge = |caller: &StoredSpan| {
        let (latency, wait) = if caller.kind == PRODUCER {
            (
                s.end_unix_nano.saturating_sub(caller.start_unix_nano) as f64 / 1e9,
                Some(s.start_unix_nano.saturating_sub(caller.end_unix_nano) as f64 / 1e9),
            )
        } else {
            (secs(caller), None)
        };
        (
            caller.service.to_string(),
            latency,
            failed(caller) || failed(s),
            wait,
        )
    };
    let (from, latency, failed, wait) = match p.kind {
        CLIENT | PRODUCER => edge(p),
        SERVER | CONSUMER => match p.parent_id {
            0 => edge(p),
            pp => match find(trace, pp) {
                Some(c) if (c.kind == CLIENT || c.kind == PRODUCER) && c.service != s.service => {
                    edge(c)
                }
                _ => edge(p),
            },
        },
        _ => (p.service.to_string(), secs(s), failed(s), None),
    };
    (from != to).then_some(Ok(EdgeSeen {
        from,
        to,
        latency,
        failed,
        wait,
    }))
}

#[cfg(test)]
mod tests;
