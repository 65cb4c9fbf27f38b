//! What the kit costs a call: the same trivial operation awaited directly
//! and through a [`Dependency`], measured in one run so that the ratios mean
//! something. `chaoslab` can print the [`BenchReport`] table.
//!
//! The operation yields once and answers, so the "added" column is the kit's
//! own overhead (locks, counters, a timer, the metrics facade with whatever
//! recorder is installed), to be set against a loopback HTTP call's tens of
//! microseconds.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::dependency::Dependency;
use crate::error::Failure;
use crate::options::CallOptions;
use crate::policy::Policy;

/// One row: a way of calling, and what a call cost.
#[derive(Debug, Clone)]
pub struct BenchRow {
    pub case: &'static str,
    pub calls: u64,
    pub per_call: Duration,
}

/// The rows of one run; the first row is the direct baseline.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub rows: Vec<BenchRow>,
}

#[derive(Debug)]
struct Never;

impl Failure for Never {
    fn is_failure(&self) -> bool {
        true
    }
}

/// Yields once, so the future really is pending once (and a timeout really
/// arms its timer), then answers.
async fn ready(_attempt: u32) -> Result<u32, Never> {
    tokio::task::yield_now().await;
    Ok(1)
}

async fn through(dep: &Dependency, calls: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..calls {
        let _ = std::hint::black_box(dep.call(CallOptions::retryable(), ready).await);
    }
    start.elapsed()
}

/// Measures `calls` calls per case (sequential, then 4 concurrent tasks).
pub async fn bench(calls: u64) -> BenchReport {
    let calls = calls.max(1);
    let mut rows = Vec::new();
    let mut row = |case, took: Duration, n: u64| {
        rows.push(BenchRow {
            case,
            calls: n,
            per_call: took / n.max(1) as u32,
        });
    };

    let start = Instant::now();
    for attempt in 0..calls {
        let _ = std::hint::black_box(ready(attempt as u32).await);
    }
    row("direct await", start.elapsed(), calls);

    let all_on = Dependency::new("bench-all-on", Policy::default());
    row(
        "kit, every mechanism on",
        through(&all_on, calls).await,
        calls,
    );

    let mut off = Policy::default();
    off.timeout.enabled = false;
    off.retry.enabled = false;
    off.breaker.enabled = false;
    off.bulkhead.enabled = false;
    let all_off = Dependency::new("bench-all-off", off);
    row(
        "kit, every mechanism off",
        through(&all_off, calls).await,
        calls,
    );

    let mut tripped = Policy::default();
    tripped.breaker.min_calls = 1;
    tripped.breaker.open_ms = 3_600_000;
    let open = Dependency::new("bench-open", tripped);
    let _ = open
        .call(CallOptions::once(), |_| async { Err::<(), _>(Never) })
        .await;
    row(
        "kit, refused by open breaker",
        through(&open, calls).await,
        calls,
    );

    let shared: Arc<Dependency> = Dependency::new("bench-shared", Policy::default());
    let start = Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let dep = shared.clone();
            tokio::spawn(async move { through(&dep, calls / 4).await })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    row("kit, 4 tasks sharing one", start.elapsed(), (calls / 4) * 4);

    BenchReport { rows }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = self
            .rows
            .first()
            .map(|r| r.per_call.as_nanos())
            .unwrap_or(0);
        writeln!(
            f,
            "{:<32} {:>10} {:>10} {:>10}",
            "case", "calls", "ns/call", "added ns"
        )?;
        for r in &self.rows {
            let ns = r.per_call.as_nanos();
            let added = ns as i128 - base as i128;
            writeln!(f, "{:<32} {:>10} {:>10} {:>10}", r.case, r.calls, ns, added)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn report_has_a_row_per_case() {
        let report = super::bench(20_000).await;
        let table = report.to_string();
        println!("{table}");
        assert_eq!(report.rows.len(), 5);
        assert!(table.starts_with("case"));
        assert!(table.contains("kit, refused by open breaker"));
    }
}
