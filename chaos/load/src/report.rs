//! What `GET /load` answers (the contract's [`LoadReport`], with its
//! journeys' counts, success ratio and latency percentiles from the intended
//! send time, over a sliding window and since start) and the table
//! `chaoslab load` prints of it at the end ([`Table`]).

pub use chaoslab_contract::wire::load::{JourneyReport, LoadReport, TotalsReport};
use std::fmt;

/// A report's totals as `chaoslab load` prints them: one line per journey
/// and one for all, then the failures.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a>(pub &'a LoadReport);

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

fn row(f: &mut fmt::Formatter<'_>, name: &str, r: &JourneyReport) -> fmt::Result {
    let ratio = r
        .success_ratio
        .map(|s| format!("{:.2}%", s * 100.0))
        .unwrap_or_else(|| "-".into());
    writeln!(
        f,
        "{:<13} {:>9} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        name,
        r.requests,
        r.success,
        r.errors,
        r.dropped,
        ratio,
        ms(r.p50_ms),
        ms(r.p95_ms),
        ms(r.p99_ms),
        ms(r.max_ms)
    )
}

impl fmt::Display for Table<'_> {
    /// The totals since start, one line per journey and one for all.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        let t = &r.totals;
        let achieved = if t.elapsed_secs > 0.0 {
            t.all.requests as f64 / t.elapsed_secs
        } else {
            0.0
        };
        writeln!(
            f,
            "load: {:.1} s, target rate {:.1}/s ({}), achieved {:.1} arrivals/s",
            t.elapsed_secs,
            r.rate,
            if r.poisson { "poisson" } else { "constant" },
            achieved
        )?;
        writeln!(
            f,
            "{:<13} {:>9} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "journey",
            "requests",
            "success",
            "errors",
            "dropped",
            "success",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms"
        )?;
        for (name, r) in &t.journeys {
            row(f, name, r)?;
        }
        row(f, "all", &t.all)?;
        let mut failures: Vec<String> = t
            .all
            .outcomes
            .iter()
            .filter(|(k, v)| k.as_str() != "success" && **v > 0)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !failures.is_empty() {
            failures.sort();
            writeln!(f, "failures: {}", failures.join(" "))?;
        }
        for (name, r) in &t.journeys {
            for (step, n) in &r.failed_steps {
                writeln!(f, "  {name} failed at step {step}: {n}")?;
            }
        }
        Ok(())
    }
}
