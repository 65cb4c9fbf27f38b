//! What the bench measured, and the table it prints.

use std::fmt;

/// One throughput case.
#[derive(Debug, Clone)]
pub struct ThroughputRow {
    /// `tcp` or `http`.
    pub mode: &'static str,
    pub size: usize,
    pub connections: usize,
    pub direct_rps: f64,
    pub proxy_rps: f64,
    /// Microseconds.
    pub direct_p50: u64,
    pub direct_p99: u64,
    pub proxy_p50: u64,
    pub proxy_p99: u64,
    /// The same case through nginx (`stream` for tcp, its HTTP proxy for
    /// http), when it ran.
    pub nginx_rps: Option<f64>,
    /// nginx's p99, microseconds.
    pub nginx_p99: Option<u64>,
}

impl ThroughputRow {
    /// Proxied throughput as a share of direct.
    pub fn ratio(&self) -> f64 {
        self.proxy_rps / self.direct_rps.max(1e-9)
    }
}

/// The latency toxic's measured effect, in one proxy mode.
#[derive(Debug, Clone)]
pub struct LatencyRow {
    /// `tcp` or `http`.
    pub mode: &'static str,
    pub configured_ms: u64,
    /// Added latency over direct's median, milliseconds.
    pub added_p50_ms: f64,
    pub added_p99_ms: f64,
}

impl LatencyRow {
    /// From the direct and the proxied latencies (µs): each quantile of the
    /// proxied run less the direct median.
    pub fn of(
        mode: &'static str,
        configured_ms: u64,
        direct: &hdrhistogram::Histogram<u64>,
        proxied: &hdrhistogram::Histogram<u64>,
    ) -> Self {
        let q = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Self {
            mode,
            configured_ms,
            added_p50_ms: q(proxied, 0.5) - q(direct, 0.5),
            added_p99_ms: q(proxied, 0.99) - q(direct, 0.5),
        }
    }
}

/// The toxicity check.
#[derive(Debug, Clone)]
pub struct ToxicityRow {
    pub toxicity: f64,
    pub connections: usize,
    pub affected: usize,
}

impl ToxicityRow {
    /// Observed share of connections the toxic applied to.
    pub fn observed(&self) -> f64 {
        self.affected as f64 / self.connections.max(1) as f64
    }
    /// Binomial standard deviation of the share.
    pub fn sigma(&self) -> f64 {
        (self.toxicity * (1.0 - self.toxicity) / self.connections.max(1) as f64).sqrt()
    }
    /// How many sigmas the observation is off.
    pub fn z(&self) -> f64 {
        (self.observed() - self.toxicity) / self.sigma().max(1e-12)
    }
}

/// Everything measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub build: &'static str,
    /// Whether the nginx column was measured.
    pub nginx: bool,
    pub throughput: Vec<ThroughputRow>,
    pub latency: Vec<LatencyRow>,
    pub toxicity: ToxicityRow,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "proxy with no toxics vs direct, same run ({} build)",
            self.build
        )?;
        writeln!(
            f,
            "{:>5} {:>7} {:>6} {:>12} {:>12} {:>6} {:>17} {:>17} {:>12} {:>12} {:>10} {:>10}",
            "mode",
            "size",
            "conns",
            "direct req/s",
            "proxy req/s",
            "ratio",
            "direct p50/p99 us",
            "proxy p50/p99 us",
            "nginx req/s",
            "nginx ratio",
            "vs nginx",
            "nginx p99"
        )?;
        for r in &self.throughput {
            let size = if r.size >= 1024 {
                format!("{} KB", r.size / 1024)
            } else {
                format!("{} B", r.size)
            };
            let (nginx, nginx_ratio, vs) = match r.nginx_rps {
                Some(n) => (
                    format!("{n:.0}"),
                    format!("{:.2}", n / r.direct_rps.max(1e-9)),
                    format!("{:.2}x", r.proxy_rps / n.max(1e-9)),
                ),
                None => ("-".to_string(), "-".to_string(), "-".to_string()),
            };
            writeln!(
                f,
                "{:>5} {:>7} {:>6} {:>12.0} {:>12.0} {:>6.2} {:>17} {:>17} {:>12} {:>12} {:>10} {:>10}",
                r.mode,
                size,
                r.connections,
                r.direct_rps,
                r.proxy_rps,
                r.ratio(),
                format!("{}/{}", r.direct_p50, r.direct_p99),
                format!("{}/{}", r.proxy_p50, r.proxy_p99),
                nginx,
                nginx_ratio,
                vs,
                r.nginx_p99
                    .map_or_else(|| "-".to_string(), |p| p.to_string()),
            )?;
        }
        if !self.nginx {
            writeln!(
                f,
                "(nginx not found, or without its stream module: no nginx columns)"
            )?;
        }
        writeln!(
            f,
            "latency toxic, one connection, 1 KB answers, requests one after another (goal: over the configured latency, p50 <= +0.5 ms, p99 <= +1 ms)"
        )?;
        writeln!(
            f,
            "{:>6} {:>12} {:>14} {:>14}",
            "mode", "configured", "over it p50", "over it p99"
        )?;
        for l in &self.latency {
            writeln!(
                f,
                "{:>6} {:>9} ms {:>11.2} ms {:>11.2} ms",
                l.mode,
                l.configured_ms,
                l.added_p50_ms - l.configured_ms as f64,
                l.added_p99_ms - l.configured_ms as f64
            )?;
        }
        let t = &self.toxicity;
        writeln!(
            f,
            "toxicity {:.2} over {} connections: observed {:.4} (sigma {:.4}, {:+.2} sigma)",
            t.toxicity,
            t.connections,
            t.observed(),
            t.sigma(),
            t.z()
        )
    }
}
