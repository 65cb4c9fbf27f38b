//! `histogram_quantile` with Prometheus' arithmetic.
//!
//! Mirrors `bucketQuantile` in Prometheus' `promql/quantile.go`: buckets are
//! sorted by upper bound, equal bounds merged, counts forced monotonic; the
//! rank `q * count(+Inf)` is located in the first bucket whose cumulative
//! count reaches it and interpolated linearly inside it (the lowest bucket
//! from 0, unless its bound is <= 0); a rank that lands in the `+Inf` bucket
//! returns the upper bound of the last finite bucket. No `+Inf` bucket, fewer
//! than two buckets or no observations give no answer.

/// One cumulative bucket: upper bound (`le`) and count (or rate) at or below.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub le: f64,
    pub count: f64,
}

/// The `q` quantile (0..=1) of a cumulative histogram; `None` where
/// Prometheus would return NaN. Out-of-range `q` gives -Inf / +Inf as in
/// Prometheus.
pub fn histogram_quantile(q: f64, buckets: &[Bucket]) -> Option<f64> {
    if q.is_nan() {
        return None;
    }
    if q < 0.0 {
        return Some(f64::NEG_INFINITY);
    }
    if q > 1.0 {
        return Some(f64::INFINITY);
    }
    let mut b: Vec<Bucket> = buckets.iter().copied().filter(|b| !b.le.is_nan()).collect();
    b.sort_by(|x, y| x.le.total_cmp(&y.le));
    if b.last().is_none_or(|l| l.le != f64::INFINITY) {
        return None;
    }
    // Merge buckets with the same bound.
    let mut merged: Vec<Bucket> = Vec::with_capacity(b.len());
    for x in b {
        match merged.last_mut() {
            Some(last) if last.le == x.le => last.count += x.count,
            _ => merged.push(x),
        }
    }
    // Force monotonic counts.
    let mut max = f64::NEG_INFINITY;
    for x in merged.iter_mut() {
        if x.count < max {
            x.count = max;
        } else {
            max = x.count;
        }
    }
    let b = merged;
    if b.len() < 2 {
        return None;
    }
    let observations = b[b.len() - 1].count;
    if observations == 0.0 || observations.is_nan() {
        return None;
    }
    let mut rank = q * observations;
    let i = b[..b.len() - 1].partition_point(|x| x.count < rank);
    if i == b.len() - 1 {
        return Some(b[b.len() - 2].le);
    }
    if i == 0 && b[0].le <= 0.0 {
        return Some(b[0].le);
    }
    let (start, end) = (if i > 0 { b[i - 1].le } else { 0.0 }, b[i].le);
    let mut count = b[i].count;
    if i > 0 {
        count -= b[i - 1].count;
        rank -= b[i - 1].count;
    }
    let v = start + (end - start) * (rank / count);
    (!v.is_nan()).then_some(v)
}

#[cfg(test)]
mod tests;
