//! Expected values computed by hand with Prometheus' formula:
//! `start + (end - start) * (rank - below) / (count_in_bucket)`.

use super::*;

fn h(pairs: &[(f64, f64)]) -> Vec<Bucket> {
    pairs
        .iter()
        .map(|&(le, count)| Bucket { le, count })
        .collect()
}

const INF: f64 = f64::INFINITY;

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn interpolates_linearly_inside_the_bucket() {
    let b = h(&[(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (INF, 40.0)]);
    // rank 20 lies in (0.1, 0.5]: 10 below, 20 inside -> 0.1 + 0.4 * 10/20
    close(histogram_quantile(0.5, &b), 0.3);
    // rank 39.6 lies in (0.5, 1]: 30 below, 10 inside -> 0.5 + 0.5 * 9.6/10
    close(histogram_quantile(0.99, &b), 0.98);
    // rank 30 is exactly the top of (0.1, 0.5]
    close(histogram_quantile(0.75, &b), 0.5);
}

#[test]
fn lowest_bucket_interpolates_from_zero() {
    let b = h(&[(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (INF, 40.0)]);
    // rank 2 in [0, 0.1] -> 0.1 * 2/10
    close(histogram_quantile(0.05, &b), 0.02);
    // a first bucket with a bound <= 0 answers its bound
    let neg = h(&[(-1.0, 5.0), (0.0, 10.0), (INF, 10.0)]);
    close(histogram_quantile(0.2, &neg), -1.0);
}

#[test]
fn rank_in_the_inf_bucket_returns_the_last_finite_bound() {
    let b = h(&[(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (INF, 50.0)]);
    // rank 45 > 40: only +Inf holds it
    close(histogram_quantile(0.9, &b), 1.0);
    close(histogram_quantile(0.99, &b), 1.0);
    // rank 40 is still in (0.5, 1]
    close(histogram_quantile(0.8, &b), 1.0);
    // rank 35 -> 0.5 + 0.5 * 5/10
    close(histogram_quantile(0.7, &b), 0.75);
}

#[test]
fn unsorted_duplicated_and_non_monotonic_input() {
    // Two series' buckets arrive interleaved: same bounds are summed.
    let b = h(&[
        (INF, 20.0),
        (0.5, 15.0),
        (0.1, 5.0),
        (1.0, 20.0),
        (0.1, 5.0),
        (INF, 20.0),
        (1.0, 20.0),
        (0.5, 15.0),
    ]);
    close(histogram_quantile(0.5, &b), 0.3);
    // 0.5 has fewer than 0.1: forced up to 10, then rank 20 is in (0.5, 1]:
    // 0.5 + 0.5 * 10/30
    let b = h(&[(0.1, 10.0), (0.5, 8.0), (1.0, 40.0), (INF, 40.0)]);
    close(histogram_quantile(0.5, &b), 0.5 + 0.5 / 3.0);
}

#[test]
fn no_answer_where_prometheus_gives_nan() {
    // no +Inf bucket
    assert_eq!(histogram_quantile(0.5, &h(&[(0.1, 1.0), (1.0, 2.0)])), None);
    // no observations
    assert_eq!(histogram_quantile(0.5, &h(&[(0.1, 0.0), (INF, 0.0)])), None);
    // a single bucket
    assert_eq!(histogram_quantile(0.5, &h(&[(INF, 3.0)])), None);
    assert_eq!(
        histogram_quantile(f64::NAN, &h(&[(0.1, 1.0), (INF, 1.0)])),
        None
    );
    assert_eq!(
        histogram_quantile(-0.1, &h(&[(0.1, 1.0), (INF, 1.0)])),
        Some(f64::NEG_INFINITY)
    );
    assert_eq!(
        histogram_quantile(1.5, &h(&[(0.1, 1.0), (INF, 1.0)])),
        Some(f64::INFINITY)
    );
}
