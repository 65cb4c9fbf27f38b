//! Numbers derived from the series store: request rate, error ratio and
//! latency percentiles (RED) grouped by any key, resilience state, load
//! generator journeys, active faults and single-metric queries.
//!
//! Every rate is a per-series counter increase over the window divided by
//! the seconds between the samples used, summed over the group; every
//! percentile is `histogram_quantile` over the summed per-bucket rates, as
//! `histogram_quantile(q, sum by (le) (rate(x_bucket[w])))` would give.

use std::collections::BTreeMap;

use chaoslab_kit::names::{self, label};

use crate::api::types::{Aggregation, CircuitState, RedStats, ResilienceEntry};

use super::exposition::parse_value;
use super::quantile::{Bucket, histogram_quantile};
use super::series::{SeriesKey, SeriesRef, SeriesStore};
use crate::derived::Source;

/// A time range, Unix ms, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_ms: u64,
    pub to_ms: u64,
}

impl Window {
    /// The `len_ms` ending at `to_ms`.
    pub fn ending(to_ms: u64, len_ms: u64) -> Self {
        Self {
            from_ms: to_ms.saturating_sub(len_ms),
            to_ms,
        }
    }
}

/// Sums for one group, turned into [`RedStats`] at the end.
#[derive(Debug, Default, Clone)]
struct RedAcc {
    total: f64,
    errors: f64,
    buckets: Vec<Bucket>,
}

impl RedAcc {
    fn finish(&self) -> RedStats {
        let q = |p| histogram_quantile(p, &self.buckets).map(|s| s * 1000.0);
        RedStats {
            rate: self.total,
            error_ratio: if self.total > 0.0 {
                (self.errors / self.total).clamp(0.0, 1.0)
            } else {
                0.0
            },
            p50_ms: q(0.5),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
        }
    }
}

/// Whether an HTTP duration series counts failed requests: status >= 500
/// or an `error_type`.
pub fn is_http_error(k: &SeriesKey) -> bool {
    k.label(label::STATUS)
        .and_then(|s| s.parse::<u16>().ok())
        .is_some_and(|s| s >= 500)
        || k.label(label::ERROR_TYPE).is_some_and(|e| !e.is_empty())
}

/// Whether a load-generator outcome counts as failed (anything but
/// `ok`/`success`).
pub fn is_load_error(k: &SeriesKey) -> bool {
    !matches!(k.label(label::OUTCOME), Some("ok" | "success"))
}

/// What to group: the counter that counts requests, the histogram buckets
/// that time them, and which counter series are failures.
#[derive(Clone, Copy)]
pub struct RedSource<'a> {
    pub count: &'a str,
    pub bucket: &'a str,
    pub is_error: fn(&SeriesKey) -> bool,
}

/// Server-side HTTP metrics.
pub const HTTP_SERVER: RedSource<'static> = RedSource {
    count: "http_server_request_duration_seconds_count",
    bucket: "http_server_request_duration_seconds_bucket",
    is_error: is_http_error,
};

/// Client-side HTTP metrics (edges).
pub const HTTP_CLIENT: RedSource<'static> = RedSource {
    count: "http_client_request_duration_seconds_count",
    bucket: "http_client_request_duration_seconds_bucket",
    is_error: is_http_error,
};

/// Messages' waits between publish and processing, per producer → consumer
/// edge (the hub's own series, from span pairs); never errors.
pub const MESSAGE_WAIT: RedSource<'static> = RedSource {
    count: "hub_message_wait_seconds_count",
    bucket: "hub_message_wait_seconds_bucket",
    is_error: |_| false,
};

/// Load-generator journeys.
pub const LOADGEN: RedSource<'static> = RedSource {
    count: names::LOADGEN_REQUESTS,
    bucket: "loadgen_request_duration_seconds_bucket",
    is_error: is_load_error,
};

/// RED numbers per group key over a window. Series for which `key` answers
/// `None` are skipped.
pub fn red_by<K: Ord>(
    store: &SeriesStore,
    src: RedSource<'_>,
    w: Window,
    key: impl Fn(&SeriesKey) -> Option<K>,
) -> BTreeMap<K, RedStats> {
    red_over(store.all(), src, w, key)
}

/// [`red_by`] over a chosen set of series.
pub fn red_over<'a, K: Ord>(
    series: impl IntoIterator<Item = (&'a SeriesKey, SeriesRef<'a>)>,
    src: RedSource<'_>,
    w: Window,
    key: impl Fn(&SeriesKey) -> Option<K>,
) -> BTreeMap<K, RedStats> {
    let p = Prepared::new(series, src, key);
    let stats = p.stats(w);
    p.groups
        .into_iter()
        .zip(stats)
        .filter_map(|(k, s)| Some((k, s?)))
        .collect()
}

/// What a series contributes to RED numbers.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// A request counter; `error` when it counts failures.
    Count { error: bool },
    /// A histogram bucket with this upper bound.
    Bucket(f64),
}

/// One series with its role and group index, worked out once.
#[derive(Debug, Clone, Copy)]
pub struct PreparedSeries<'a> {
    s: SeriesRef<'a>,
    role: Role,
    group: usize,
}

/// Series picked, classified and grouped once, so that many windows (a
/// time series) cost only the counter arithmetic.
#[derive(Debug)]
pub struct Prepared<'a, K> {
    /// Group keys, sorted; `series[i].group` indexes here.
    pub groups: Vec<K>,
    pub series: Vec<PreparedSeries<'a>>,
}

impl<'a, K: Ord> Prepared<'a, K> {
    pub fn new(
        series: impl IntoIterator<Item = (&'a SeriesKey, SeriesRef<'a>)>,
        src: RedSource<'_>,
        key: impl Fn(&SeriesKey) -> Option<K>,
    ) -> Self {
        let mut keyed: Vec<(K, SeriesRef<'a>, Role)> = Vec::new();
        for (k, s) in series {
            let role = if k.name == src.count {
                Role::Count {
                    error: (src.is_error)(k),
                }
            } else if k.name == src.bucket {
                match k.label("le").and_then(parse_value) {
                    Some(le) => Role::Bucket(le),
                    None => continue,
                }
            } else {
                continue;
            };
            if let Some(g) = key(k) {
                keyed.push((g, s, role));
            }
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut groups: Vec<K> = Vec::new();
        let mut out = Vec::with_capacity(keyed.len());
        for (g, s, role) in keyed {
            if groups.last() != Some(&g) {
                groups.push(g);
            }
            out.push(PreparedSeries {
                s,
                role,
                group: groups.len() - 1,
            });
        }
        Self {
            groups,
            series: out,
        }
    }

    /// RED numbers per group (in `groups` order) over a window; `None` for
    /// a group with no series answering in it.
    pub fn stats(&self, w: Window) -> Vec<Option<RedStats>> {
        red_prepared(&self.series, self.groups.len(), w)
    }
}

fn red_prepared(series: &[PreparedSeries<'_>], groups: usize, w: Window) -> Vec<Option<RedStats>> {
    let mut acc: Vec<Option<RedAcc>> = vec![None; groups];
    // The window's scrape indices, worked out once per target.
    let mut targets: Vec<(SeriesRef<'_>, Option<(usize, usize)>)> = Vec::new();
    for p in series {
        let idx = match targets.iter().find(|(t, _)| t.same_target(&p.s)) {
            Some((_, idx)) => *idx,
            None => {
                let idx = p.s.window_indices(w.from_ms, w.to_ms);
                targets.push((p.s, idx));
                idx
            }
        };
        let Some(inc) = idx.and_then(|(b, e)| p.s.increase_between(b, e)) else {
            continue;
        };
        let a = acc[p.group].get_or_insert_with(RedAcc::default);
        match p.role {
            Role::Count { error } => {
                a.total += inc.rate();
                if error {
                    a.errors += inc.rate();
                }
            }
            Role::Bucket(le) => a.buckets.push(Bucket {
                le,
                count: inc.rate(),
            }),
        }
    }
    acc.into_iter().map(|a| a.map(|a| a.finish())).collect()
}

/// Latest values of a gauge per key (the newest scrape in the window).
pub fn latest_by<K: Ord>(
    store: &SeriesStore,
    name: &str,
    w: Window,
    key: impl Fn(&SeriesKey) -> Option<K>,
) -> BTreeMap<K, f64> {
    let mut out = BTreeMap::new();
    for (k, s) in store.named(name) {
        if let (Some(group), Some(v)) = (key(k), s.latest(w.from_ms, w.to_ms)) {
            *out.entry(group).or_insert(0.0) += v;
        }
    }
    out
}

/// Counter rates per key over the window.
pub fn rate_by<K: Ord>(
    store: &SeriesStore,
    name: &str,
    w: Window,
    key: impl Fn(&SeriesKey) -> Option<K>,
) -> BTreeMap<K, f64> {
    let mut out = BTreeMap::new();
    for (k, s) in store.named(name) {
        if let (Some(group), Some(inc)) = (key(k), s.increase(w.from_ms, w.to_ms)) {
            *out.entry(group).or_insert(0.0) += inc.rate();
        }
    }
    out
}

fn owned(k: &SeriesKey, l: &str) -> Option<String> {
    k.label(l).map(str::to_string)
}

/// Resilience state per (service, dependency).
pub fn resilience(store: &SeriesStore, w: Window) -> Vec<ResilienceEntry> {
    let pair = |k: &SeriesKey| Some((owned(k, label::SERVICE)?, owned(k, label::DEPENDENCY)?));
    let with_outcome =
        |k: &SeriesKey| Some((pair(k)?, owned(k, label::OUTCOME).unwrap_or_default()));
    let circuit = latest_by(store, names::RESILIENCE_CIRCUIT_STATE, w, pair);
    let bulkhead = latest_by(store, names::RESILIENCE_BULKHEAD_IN_FLIGHT, w, pair);
    let retries = rate_by(store, names::RESILIENCE_RETRIES, w, pair);
    let calls_rate = rate_by(store, names::RESILIENCE_CALLS, w, with_outcome);
    let calls_total = latest_by(store, names::RESILIENCE_CALLS, w, with_outcome);

    let mut keys: Vec<(String, String)> = circuit
        .keys()
        .chain(bulkhead.keys())
        .chain(retries.keys())
        .cloned()
        .chain(calls_total.keys().map(|(p, _)| p.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|p| {
            let per_outcome = |m: &BTreeMap<((String, String), String), f64>| {
                m.iter()
                    .filter(|((q, _), _)| *q == p)
                    .map(|((_, o), v)| (o.clone(), *v))
                    .collect()
            };
            ResilienceEntry {
                circuit: match circuit.get(&p).map(|v| v.round() as i64) {
                    Some(0) => CircuitState::Closed,
                    Some(1) => CircuitState::HalfOpen,
                    Some(2) => CircuitState::Open,
                    _ => CircuitState::Unknown,
                },
                calls_rate: per_outcome(&calls_rate),
                calls_total: per_outcome(&calls_total),
                retries_rate: retries.get(&p).copied().unwrap_or(0.0),
                bulkhead_in_flight: bulkhead.get(&p).copied(),
                service: p.0,
                dependency: p.1,
            }
        })
        .collect()
}

/// Active fault kinds per target, from `chaos_faults_active > 0`.
pub fn active_faults(store: &SeriesStore, w: Window) -> BTreeMap<String, Vec<String>> {
    let by = latest_by(store, names::CHAOS_FAULTS_ACTIVE, w, |k| {
        Some((
            owned(k, label::TARGET)?,
            owned(k, label::KIND).unwrap_or_default(),
        ))
    });
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((target, kind), v) in by {
        if v > 0.0 {
            out.entry(target).or_default().push(kind);
        }
    }
    out
}

/// `/api/metric`: the aggregated current value of the series named `name`
/// whose labels include every `matchers` pair. Returns the value and the
/// number of series that matched.
pub fn query(
    store: &SeriesStore,
    name: &str,
    matchers: &BTreeMap<String, String>,
    agg: Aggregation,
    w: Window,
) -> (Option<f64>, usize) {
    query_over(store.named(name), matchers, agg, w)
}

/// [`query`] over one source only: the first in [`Source::ALL`] with a
/// matching series, so a value is never the sum of a scraped series and
/// the hub's own copy of it from spans.
pub fn query_sources(
    store: &SeriesStore,
    name: &str,
    matchers: &BTreeMap<String, String>,
    agg: Aggregation,
    w: Window,
) -> (Option<f64>, usize) {
    for source in Source::ALL {
        let r = query_over(
            store.from_source(source).filter(|(k, _)| k.name == name),
            matchers,
            agg,
            w,
        );
        if r.1 > 0 {
            return r;
        }
    }
    (None, 0)
}

fn query_over<'a>(
    series: impl Iterator<Item = (&'a SeriesKey, SeriesRef<'a>)>,
    matchers: &BTreeMap<String, String>,
    agg: Aggregation,
    w: Window,
) -> (Option<f64>, usize) {
    let mut values = Vec::new();
    let mut matched = 0;
    for (k, s) in series {
        if !matchers
            .iter()
            .all(|(mk, mv)| k.label(mk) == Some(mv.as_str()))
        {
            continue;
        }
        matched += 1;
        let v = match agg {
            Aggregation::Rate => s.increase(w.from_ms, w.to_ms).map(|i| i.rate()),
            _ => s.latest(w.from_ms, w.to_ms),
        };
        values.extend(v);
    }
    if values.is_empty() {
        return (None, matched);
    }
    let v = match agg {
        Aggregation::Sum | Aggregation::Rate => values.iter().sum(),
        Aggregation::Avg => values.iter().sum::<f64>() / values.len() as f64,
        Aggregation::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    };
    (Some(v), matched)
}

/// [`red_by`] with every source, one per owner: for each owner (a service,
/// an edge) the numbers of the first source in [`Source::ALL`] that has
/// any, so a service both scraped and sending spans is counted once.
/// `keep` can refuse a group of a given source.
pub fn red_merged<K: Ord, O: Ord>(
    store: &SeriesStore,
    src: RedSource<'_>,
    w: Window,
    key: impl Fn(&SeriesKey) -> Option<K>,
    owner: impl Fn(&K) -> O,
    keep: impl Fn(Source, &K) -> bool,
) -> BTreeMap<K, (RedStats, Source)> {
    let mut out = BTreeMap::new();
    let mut taken = std::collections::BTreeSet::new();
    for source in Source::ALL {
        let m = red_over(store.from_source(source), src, w, &key);
        let mut here = Vec::new();
        for (k, v) in m {
            if !keep(source, &k) {
                continue;
            }
            let o = owner(&k);
            if taken.contains(&o) {
                continue;
            }
            here.push(o);
            out.insert(k, (v, source));
        }
        taken.extend(here);
    }
    out
}

/// The first source in [`Source::ALL`] with `src` series for which `pick`
/// holds (e.g. one service's), if any.
pub fn best_source(
    store: &SeriesStore,
    src: RedSource<'_>,
    pick: impl Fn(&SeriesKey) -> bool,
) -> Option<Source> {
    Source::ALL.into_iter().find(|s| {
        store
            .from_source(*s)
            .any(|(k, _)| k.name == src.count && pick(k))
    })
}
