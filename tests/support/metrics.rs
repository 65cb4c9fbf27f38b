//! The check every `/metrics` page of the lab passes, whatever language the
//! service is written in: the page parses (with the hub's strict parser), and
//! the semantic-convention server histogram has the design's labels and
//! exactly its advisory buckets.

use chaoslab_hub::metrics::exposition::{Sample, parse};
use chaoslab_kit::names::{self, HTTP_DURATION_BUCKETS, HTTP_SERVER_DURATION};
use std::collections::BTreeMap;

fn label<'a>(s: &'a Sample, key: &str) -> Option<&'a str> {
    s.labels
        .iter()
        .find(|(n, _)| n == key)
        .map(|(_, v)| v.as_str())
}

/// A histogram series' labels without `le`.
type SeriesKey = Vec<(String, String)>;

/// The labels of `s` without `le`, as a key for grouping one histogram's series.
fn series_key(s: &Sample) -> SeriesKey {
    let mut labels: Vec<_> = s
        .labels
        .iter()
        .filter(|(n, _)| n != "le")
        .cloned()
        .collect();
    labels.sort();
    labels
}

/// Checks `text`, the `/metrics` page of `service`, and returns its samples.
/// Panics with the page when something is off.
pub fn assert_semconv_server_histogram(service: &str, text: &str) -> Vec<Sample> {
    let samples = parse(text).unwrap_or_else(|e| panic!("{service}: {e}\n{text}"));
    let count_name = format!("{HTTP_SERVER_DURATION}_count");
    let bucket_name = format!("{HTTP_SERVER_DURATION}_bucket");
    let counts: Vec<_> = samples.iter().filter(|s| s.name == count_name).collect();
    assert!(
        !counts.is_empty(),
        "{service} has no server histogram:\n{text}"
    );
    for s in &counts {
        assert_eq!(
            label(s, names::label::SERVICE),
            Some(service),
            "{service}: service label"
        );
        for l in [
            names::label::METHOD,
            names::label::ROUTE,
            names::label::STATUS,
            names::label::ERROR_TYPE,
        ] {
            assert!(
                label(s, l).is_some(),
                "{service}: {l} missing on {:?}",
                s.labels
            );
        }
    }
    // Per series: exactly the advisory buckets plus +Inf, cumulative, +Inf = count.
    let mut buckets: BTreeMap<SeriesKey, Vec<(f64, f64)>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.name == bucket_name) {
        let le = label(s, "le").unwrap_or_else(|| panic!("{service}: bucket without le"));
        let bound = chaoslab_hub::metrics::exposition::parse_value(le)
            .unwrap_or_else(|| panic!("{service}: le={le:?} is not a number"));
        buckets
            .entry(series_key(s))
            .or_default()
            .push((bound, s.value));
    }
    let mut want: Vec<f64> = HTTP_DURATION_BUCKETS.to_vec();
    want.push(f64::INFINITY);
    assert_eq!(
        buckets.len(),
        counts.len(),
        "{service}: one bucket set per series"
    );
    for count in &counts {
        let key = series_key(count);
        let mut got = buckets
            .get(&key)
            .unwrap_or_else(|| panic!("{service}: no buckets for {key:?}"))
            .clone();
        got.sort_by(|a, b| a.0.total_cmp(&b.0));
        let bounds: Vec<f64> = got.iter().map(|b| b.0).collect();
        assert_eq!(bounds, want, "{service}: buckets of {key:?}");
        assert!(
            got.windows(2).all(|w| w[0].1 <= w[1].1),
            "{service}: buckets not cumulative: {got:?}"
        );
        assert_eq!(
            got.last().map(|b| b.1),
            Some(count.value),
            "{service}: +Inf = count"
        );
    }
    samples
}
