//! Cumulative histograms kept by the hub itself (from spans and from OTLP
//! metric points), rendered as Prometheus-style series so the series store
//! and the RED arithmetic treat them like scraped ones.

use crate::metrics::exposition::Sample;

/// Labels, sorted by name.
pub type Labels = Vec<(String, String)>;

/// A cumulative histogram: counts per upper bound (not cumulative across
/// buckets), the overflow bucket last.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hist {
    /// Upper bounds, seconds, ascending.
    pub bounds: Vec<f64>,
    /// `bounds.len() + 1` counts; the last is above every bound.
    pub counts: Vec<f64>,
}

impl Hist {
    /// An empty histogram over `bounds` (seconds).
    pub fn with_bounds(bounds: &[f64]) -> Self {
        Self {
            bounds: bounds.to_vec(),
            counts: vec![0.0; bounds.len() + 1],
        }
    }

    /// Counts one observation of `secs`.
    pub fn observe(&mut self, secs: f64) {
        let i = self.bounds.partition_point(|&b| b < secs);
        self.counts[i] += 1.0;
    }

    /// Observations so far.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// Appends `<base>_count` and `<base>_bucket{le}` samples.
    pub fn render(&self, base: &str, labels: &Labels, out: &mut Vec<Sample>) {
        out.push(Sample {
            name: format!("{base}_count"),
            labels: labels.clone(),
            value: self.total(),
        });
        let mut cum = 0.0;
        for (i, c) in self.counts.iter().enumerate() {
            cum += c;
            let le = match self.bounds.get(i) {
                Some(b) => format_le(*b),
                None => "+Inf".to_string(),
            };
            let mut l = labels.clone();
            l.push(("le".to_string(), le));
            out.push(Sample {
                name: format!("{base}_bucket"),
                labels: l,
                value: cum,
            });
        }
    }
}

/// An upper bound as Prometheus writes it (`0.005`, `1`, `2.5`).
fn format_le(b: f64) -> String {
    let s = format!("{b}");
    if s.contains('e') {
        format!("{b:.9}")
    } else {
        s
    }
}

/// Sorted labels from pairs, leaving out empty values.
pub fn labels<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<String>)>) -> Labels {
    let mut l: Labels = pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.filter(|v| !v.is_empty())?)))
        .collect();
    l.sort();
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_buckets_and_the_count() {
        let mut h = Hist::with_bounds(&[0.1, 1.0]);
        for s in [0.05, 0.1, 0.5, 3.0] {
            h.observe(s);
        }
        let mut out = Vec::new();
        h.render("x", &labels([("service", Some("a".into()))]), &mut out);
        let v: Vec<(String, f64)> = out
            .iter()
            .map(|s| {
                let le = s
                    .labels
                    .iter()
                    .find(|(k, _)| k == "le")
                    .map(|(_, v)| v.clone());
                (format!("{}{}", s.name, le.unwrap_or_default()), s.value)
            })
            .collect();
        assert_eq!(
            v,
            vec![
                ("x_count".into(), 4.0),
                ("x_bucket0.1".into(), 2.0),
                ("x_bucket1".into(), 3.0),
                ("x_bucket+Inf".into(), 4.0)
            ]
        );
    }
}
