//! The in-memory series store: for each scrape target, the times of its
//! recent scrapes and, per series, the values seen at those scrapes.
//!
//! Values are aligned with their target's scrape times from the newest end
//! (`values[i]` belongs to `times[times.len() - values.len() + i]`); a series
//! missing from a scrape gets NaN there. Capacity is `retention /
//! scrape_interval` points per series (15 min at 1 s: 900 points, 7 KB).

use std::collections::{HashMap, VecDeque};

use super::exposition::Sample;
use crate::derived::Source;

/// Labels of a series, sorted by name (always including `service`).
pub type Labels = Vec<(String, String)>;

/// A series' identity: metric name and sorted labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub name: String,
    pub labels: Labels,
}

impl SeriesKey {
    /// The value of one label.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The samples of one target.
#[derive(Debug, Default)]
struct TargetData {
    times: VecDeque<u64>,
    series: HashMap<SeriesKey, VecDeque<f64>>,
}

/// A read-only view of one series with its target's times.
#[derive(Debug, Clone, Copy)]
pub struct SeriesRef<'a> {
    times: &'a VecDeque<u64>,
    values: &'a VecDeque<f64>,
}

/// The increase of a counter between two scrapes, and the seconds between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Increase {
    pub delta: f64,
    pub secs: f64,
}

impl Increase {
    /// Per-second rate.
    pub fn rate(&self) -> f64 {
        if self.secs > 0.0 {
            self.delta / self.secs
        } else {
            0.0
        }
    }
}

impl<'a> SeriesRef<'a> {
    /// A view over given times and values (aligned from the newest end).
    pub fn new(times: &'a VecDeque<u64>, values: &'a VecDeque<f64>) -> Self {
        Self { times, values }
    }

    /// The value at scrape index `i`; NaN when the series was absent.
    fn at(&self, i: usize) -> f64 {
        let offset = self.times.len() - self.values.len();
        if i < offset {
            f64::NAN
        } else {
            self.values[i - offset]
        }
    }

    /// The newest value scraped at or before `to_ms` and not before
    /// `from_ms`; `None` when absent.
    pub fn latest(&self, from_ms: u64, to_ms: u64) -> Option<f64> {
        let end = self.times.partition_point(|&t| t <= to_ms);
        if end == 0 || self.times[end - 1] < from_ms {
            return None;
        }
        let v = self.at(end - 1);
        (!v.is_nan()).then_some(v)
    }

    /// How much a counter grew over `[from_ms, to_ms]`.
    ///
    /// The base is the last scrape at or before `from_ms` (unless it is more
    /// than a further window older), else the first scrape inside. Resets
    /// (a value below the previous one) count the new value as the growth,
    /// as Prometheus does; a series absent at an earlier scrape of the same
    /// target is taken to have started from 0 there, so a label set born
    /// inside the window (the first 500 of a route) is not missed. `None`
    /// when the target has fewer than two scrapes in the window or the
    /// series is absent at the end.
    pub fn increase(&self, from_ms: u64, to_ms: u64) -> Option<Increase> {
        let (base, end) = self.window_indices(from_ms, to_ms)?;
        self.increase_between(base, end)
    }

    /// The scrape indices `increase` works between for a window: the same
    /// for every series of one target, so callers may work them out once
    /// (see [`SeriesRef::same_target`]).
    pub fn window_indices(&self, from_ms: u64, to_ms: u64) -> Option<(usize, usize)> {
        let end = self.times.partition_point(|&t| t <= to_ms);
        if end == 0 {
            return None;
        }
        let end = end - 1;
        let span = to_ms.saturating_sub(from_ms);
        let at_or_before = self.times.partition_point(|&t| t <= from_ms);
        let base = if at_or_before > 0 && self.times[at_or_before - 1] + span >= from_ms {
            at_or_before - 1
        } else {
            at_or_before
        };
        (base < end).then_some((base, end))
    }

    /// The counter's growth between two scrape indices (see `increase`).
    pub fn increase_between(&self, base: usize, end: usize) -> Option<Increase> {
        if base >= end || end >= self.times.len() || self.at(end).is_nan() {
            return None;
        }
        let mut prev = self.at(base);
        if prev.is_nan() {
            prev = 0.0;
        }
        let mut delta = 0.0;
        for i in base + 1..=end {
            let v = self.at(i);
            if v.is_nan() {
                prev = 0.0;
                continue;
            }
            delta += if v >= prev { v - prev } else { v };
            prev = v;
        }
        let secs = (self.times[end] - self.times[base]) as f64 / 1000.0;
        Some(Increase { delta, secs })
    }

    /// Whether two series come from the same target (share scrape times).
    pub fn same_target(&self, other: &SeriesRef<'_>) -> bool {
        std::ptr::eq(self.times, other.times)
    }
}

/// Samples of every target, bounded by a number of points per series.
#[derive(Debug)]
pub struct SeriesStore {
    capacity: usize,
    targets: HashMap<String, TargetData>,
}

impl SeriesStore {
    /// A store keeping at most `capacity` scrapes per target.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            targets: HashMap::new(),
        }
    }

    /// Records one successful scrape of the target keyed `target` (its URL).
    /// Series without a `service` label get one: their `job` label, else
    /// `default_service` (the target's name).
    pub fn record(&mut self, target: &str, default_service: &str, t_ms: u64, samples: Vec<Sample>) {
        let data = self.targets.entry(target.to_string()).or_default();
        if data.times.back().is_some_and(|&last| t_ms <= last) {
            return; // clocks went backwards; keep the store ordered
        }
        data.times.push_back(t_ms);
        let n = data.times.len();
        for s in samples {
            let key = key_of(s.name, s.labels, default_service);
            let values = data.series.entry(key).or_default();
            if values.len() >= n {
                // The same series twice in one page: the last line wins.
                if let Some(last) = values.back_mut() {
                    *last = s.value;
                }
                continue;
            }
            // A series born now starts here; one that skipped scrapes is
            // padded with NaN for them.
            while !values.is_empty() && values.len() + 1 < n {
                values.push_back(f64::NAN);
            }
            values.push_back(s.value);
        }
        // Series missing from this scrape get NaN.
        for values in data.series.values_mut() {
            if values.len() < n {
                values.push_back(f64::NAN);
            }
        }
        while data.times.len() > self.capacity {
            data.times.pop_front();
        }
        let cap = data.times.len();
        data.series.retain(|_, v| {
            while v.len() > cap {
                v.pop_front();
            }
            v.iter().any(|x| !x.is_nan())
        });
    }

    /// Drops scrapes older than `oldest_ms` (targets that stopped answering
    /// age out too).
    pub fn prune(&mut self, oldest_ms: u64) {
        self.targets.retain(|_, d| {
            while d.times.front().is_some_and(|&t| t < oldest_ms) {
                d.times.pop_front();
            }
            let cap = d.times.len();
            d.series.retain(|_, v| {
                while v.len() > cap {
                    v.pop_front();
                }
                v.iter().any(|x| !x.is_nan())
            });
            cap > 0
        });
    }

    /// Forgets scrape targets not in `keep` (the hub's own derived
    /// targets stay).
    pub fn retain_targets(&mut self, keep: &[String]) {
        self.targets
            .retain(|k, _| keep.contains(k) || Source::of_target(k) != Source::Scraped);
    }

    /// Every series from one source.
    pub fn from_source(
        &self,
        source: Source,
    ) -> impl Iterator<Item = (&SeriesKey, SeriesRef<'_>)> + '_ {
        self.targets
            .iter()
            .filter(move |(k, _)| Source::of_target(k) == source)
            .flat_map(|(_, d)| {
                d.series.iter().map(move |(k, v)| {
                    (
                        k,
                        SeriesRef {
                            times: &d.times,
                            values: v,
                        },
                    )
                })
            })
    }

    /// Series held.
    pub fn series_count(&self) -> usize {
        self.targets.values().map(|d| d.series.len()).sum()
    }

    /// Every series named `name`.
    pub fn named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a SeriesKey, SeriesRef<'a>)> + 'a {
        self.all().filter(move |(k, _)| k.name == name)
    }

    /// Every series.
    pub fn all(&self) -> impl Iterator<Item = (&SeriesKey, SeriesRef<'_>)> + '_ {
        self.targets.values().flat_map(|d| {
            d.series.iter().map(move |(k, v)| {
                (
                    k,
                    SeriesRef {
                        times: &d.times,
                        values: v,
                    },
                )
            })
        })
    }
}

fn key_of(name: String, mut labels: Labels, default_service: &str) -> SeriesKey {
    if !labels.iter().any(|(k, _)| k == "service") {
        let service = labels
            .iter()
            .find(|(k, _)| k == "job")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| default_service.to_string());
        labels.push(("service".to_string(), service));
    }
    labels.sort();
    SeriesKey { name, labels }
}

#[cfg(test)]
mod tests;
