//! Counter arithmetic over the store: increases across resets, series born
//! inside the window, gaps, and alignment after the buffer wraps.

use super::*;

fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> Sample {
    Sample {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        value,
    }
}

/// Records `values` for one counter at t = 1000, 2000, ... ms (None: absent).
fn store_with(values: &[Option<f64>], capacity: usize) -> SeriesStore {
    let mut s = SeriesStore::new(capacity);
    for (i, v) in values.iter().enumerate() {
        let samples = v.map(|v| sample("c_total", &[], v)).into_iter().collect();
        // an "up" series keeps the scrape itself visible even when c_total is absent
        let mut samples: Vec<Sample> = samples;
        samples.push(sample("up", &[], 1.0));
        s.record("t", "svc", (i as u64 + 1) * 1000, samples);
    }
    s
}

fn increase(s: &SeriesStore, from: u64, to: u64) -> Option<Increase> {
    s.named("c_total")
        .next()
        .and_then(|(_, r)| r.increase(from, to))
}

#[test]
fn plain_increase_and_rate() {
    let s = store_with(&[Some(10.0), Some(20.0), Some(35.0), Some(50.0)], 100);
    // window (2000, 4000]: base is the sample at 2000
    let inc = increase(&s, 2000, 4000).unwrap();
    assert_eq!(
        inc,
        Increase {
            delta: 30.0,
            secs: 2.0
        }
    );
    assert_eq!(inc.rate(), 15.0);
}

#[test]
fn counter_reset_counts_the_new_value() {
    // 10 -> 20 -> reset to 5 -> 12: growth 10 + 5 + 7 = 22 over 3 s
    let s = store_with(&[Some(10.0), Some(20.0), Some(5.0), Some(12.0)], 100);
    let inc = increase(&s, 1000, 4000).unwrap();
    assert_eq!(inc.delta, 22.0);
    assert!((inc.rate() - 22.0 / 3.0).abs() < 1e-12);
    // a reset to exactly 0 followed by growth
    let s = store_with(&[Some(7.0), Some(0.0), Some(3.0)], 100);
    assert_eq!(increase(&s, 1000, 3000).unwrap().delta, 3.0);
}

#[test]
fn series_born_inside_the_window_starts_from_zero() {
    // absent at 1000 and 2000, then 4 and 6: the first 4 requests count
    let s = store_with(&[None, None, Some(4.0), Some(6.0)], 100);
    assert_eq!(increase(&s, 1000, 4000).unwrap().delta, 6.0);
    // a gap (series missing from one scrape) restarts from 0 too
    let s = store_with(&[Some(4.0), None, Some(2.0)], 100);
    assert_eq!(increase(&s, 1000, 3000).unwrap().delta, 2.0);
}

#[test]
fn too_few_samples_or_absent_at_the_end_gives_none() {
    let s = store_with(&[Some(1.0)], 100);
    assert_eq!(increase(&s, 0, 1000), None);
    let s = store_with(&[Some(1.0), Some(2.0), None], 100);
    assert_eq!(increase(&s, 1000, 3000), None);
    // a window entirely before the data
    let s = store_with(&[Some(1.0), Some(2.0)], 100);
    assert_eq!(increase(&s, 0, 500), None);
}

#[test]
fn base_is_not_taken_from_far_before_the_window() {
    // samples at 1000 and 2000, then a long silence, then 9000 and 10000
    let mut s = SeriesStore::new(100);
    for (t, v) in [(1000, 1.0), (2000, 2.0), (9000, 100.0), (10000, 110.0)] {
        s.record("t", "svc", t, vec![sample("c_total", &[], v)]);
    }
    // window (8000, 10000]: the 2000 sample is more than a window older
    let inc = s
        .named("c_total")
        .next()
        .unwrap()
        .1
        .increase(8000, 10000)
        .unwrap();
    assert_eq!(
        inc,
        Increase {
            delta: 10.0,
            secs: 1.0
        }
    );
}

#[test]
fn capacity_wraps_and_keeps_alignment() {
    let vals: Vec<Option<f64>> = (0..10).map(|i| Some(i as f64 * 10.0)).collect();
    let s = store_with(&vals, 4);
    let (_, r) = s.named("c_total").next().unwrap();
    assert_eq!(r.latest(0, 10_000), Some(90.0));
    assert_eq!(r.latest(0, 8_000), Some(70.0));
    // only 7000..10000 kept
    assert_eq!(r.latest(0, 6_000), None);
    assert_eq!(r.increase(7000, 10_000).unwrap().delta, 30.0);
}

#[test]
fn service_label_is_added_from_job_or_target() {
    let mut s = SeriesStore::new(10);
    s.record(
        "t",
        "users",
        1000,
        vec![
            sample("a", &[], 1.0),
            sample("b", &[("job", "payments")], 1.0),
            sample("c", &[("service", "orders")], 1.0),
        ],
    );
    let svc = |n: &str| {
        s.named(n)
            .next()
            .unwrap()
            .0
            .label("service")
            .unwrap()
            .to_string()
    };
    assert_eq!(svc("a"), "users");
    assert_eq!(svc("b"), "payments");
    assert_eq!(svc("c"), "orders");
}

#[test]
fn vanished_series_are_dropped_after_retention() {
    let mut s = SeriesStore::new(3);
    s.record(
        "t",
        "x",
        1000,
        vec![sample("gone", &[], 1.0), sample("up", &[], 1.0)],
    );
    for t in [2000, 3000, 4000] {
        s.record("t", "x", t, vec![sample("up", &[], 1.0)]);
    }
    assert_eq!(s.named("gone").count(), 0);
    assert_eq!(s.series_count(), 1);
    s.prune(10_000);
    assert_eq!(s.series_count(), 0);
}
