//! The ingest bench: how many spans per second the hub takes in, by path,
//! and how much memory a full store holds. `chaoslab bench hub` prints it.
//!
//! Paths, each on a fresh hub with the default span budget (so eviction is
//! part of the cost once the budget fills):
//! - in-process, convert + store: decoded exports handed to the hub;
//! - in-process, decode + store: protobuf bytes decoded, then stored;
//! - OTLP/gRPC and OTLP/HTTP: pre-encoded exports sent over loopback by
//!   concurrent clients (client and hub share this machine's cores).
//!
//! "Per core": each row also counts the CPU time the hub's own work took
//! ([`cpu`]): the calling thread's for the in-process paths, the threads of
//! a runtime of the hub's own for the network paths (the clients run on
//! the bench's runtime, so their encoding and sending is not counted).
//! Spans per CPU-second is the rate one core sustains; the goal is at least
//! 100k on every path.
//!
//! Then the query side: a series store holding 15 minutes of six services'
//! scrapes, and the time the dashboard's usual answers take.

mod cpu;
mod queries;
mod synth;
mod wire;

pub use queries::{QueryBench, bench_queries};
pub use wire::grpc_raw_export;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tokio::net::TcpListener;

use crate::config::HubConfig;
use crate::hub::Hub;
use synth::{EncodedBatch, Rng};

/// What the bench does.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Spans sent per path.
    pub spans: usize,
    /// Spans per export request.
    pub batch: usize,
    /// Concurrent connections for the network paths.
    pub connections: usize,
    /// Span budget of the hubs measured.
    pub budget: usize,
    /// Scrapes per service in the query bench's series store.
    pub query_points: usize,
    /// Spans with a 1 MB attribute in each flood case.
    pub flood_spans: usize,
    /// The trace store's byte budget in the flood cases.
    pub flood_budget: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            spans: 300_000,
            batch: 512,
            connections: 4,
            budget: HubConfig::default().span_budget,
            query_points: HubConfig::default().points_per_series(),
            flood_spans: 400,
            flood_budget: 64 << 20,
        }
    }
}

/// One measured path.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    pub path: String,
    pub spans: usize,
    pub elapsed: Duration,
    /// CPU time the hub's work took (see the module doc), if measurable.
    pub cpu: Option<Duration>,
    /// Set when the path could not run (the row then has no rate).
    pub error: Option<String>,
}

impl BenchRow {
    pub fn spans_per_sec(&self) -> f64 {
        self.spans as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Spans per second of the hub's CPU time: the rate one core sustains.
    pub fn spans_per_cpu_sec(&self) -> Option<f64> {
        self.cpu
            .map(|c| self.spans as f64 / c.as_secs_f64().max(1e-9))
    }
}

/// Ingest's goal, spans per second per core.
pub const GOAL_PER_CORE: f64 = 100_000.0;

/// The bench's result; `Display` prints a table.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub options: BenchOptions,
    pub rows: Vec<BenchRow>,
    /// Spans held once the budget filled.
    pub stored_spans: usize,
    /// The store's own estimate of its bytes at that point.
    pub store_bytes: usize,
    /// VmRSS growth while filling the store (from /proc/self/status), if
    /// readable.
    pub rss_growth_bytes: Option<u64>,
    /// The series store and query costs.
    pub queries: QueryBench,
    /// Spans with one 1 MB attribute each, against a small byte budget.
    pub flood: Vec<FloodRow>,
}

/// A flood of spans that each carry a 1 MB attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct FloodRow {
    pub what: String,
    pub spans: usize,
    /// The trace store's byte budget.
    pub budget: usize,
    /// What the store says it holds at the end.
    pub store_bytes: usize,
    /// VmRSS growth over the flood (this process), if readable.
    pub rss_growth_bytes: Option<u64>,
    pub traces_evicted: u64,
    pub values_truncated: u64,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        writeln!(
            f,
            "hub ingest: {} spans per path, {} spans per export, {} connections, budget {}",
            o.spans, o.batch, o.connections, o.budget
        )?;
        writeln!(
            f,
            "{:<36} {:>10} {:>8} {:>10} {:>13}",
            "path", "spans/s", "seconds", "hub CPU s", "per core"
        )?;
        for r in &self.rows {
            match &r.error {
                None => writeln!(
                    f,
                    "{:<36} {:>10.0} {:>8.3} {:>10} {:>13}",
                    r.path,
                    r.spans_per_sec(),
                    r.elapsed.as_secs_f64(),
                    r.cpu
                        .map(|c| format!("{:.3}", c.as_secs_f64()))
                        .unwrap_or_else(|| "-".into()),
                    r.spans_per_cpu_sec()
                        .map(|p| format!("{p:.0}"))
                        .unwrap_or_else(|| "-".into()),
                )?,
                Some(e) => writeln!(f, "{:<36} {:>10} {:>8}  ({e})", r.path, "-", "-")?,
            }
        }
        let slowest = self
            .rows
            .iter()
            .filter_map(BenchRow::spans_per_cpu_sec)
            .fold(f64::INFINITY, f64::min);
        if slowest.is_finite() {
            writeln!(
                f,
                "per core = spans / hub CPU seconds; goal >= {GOAL_PER_CORE:.0} on every path: {} (slowest {slowest:.0})",
                if slowest >= GOAL_PER_CORE {
                    "met"
                } else {
                    "NOT met"
                }
            )?;
        }
        let mb = |b: f64| b / (1024.0 * 1024.0);
        write!(
            f,
            "memory with {} spans stored: store estimate {:.1} MiB ({:.0} B/span)",
            self.stored_spans,
            mb(self.store_bytes as f64),
            self.store_bytes as f64 / self.stored_spans.max(1) as f64
        )?;
        if let Some(rss) = self.rss_growth_bytes {
            write!(f, ", VmRSS growth {:.1} MiB", mb(rss as f64))?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "flood of 1 MB attributes (goal: VmRSS growth under budget + 50 MiB)\n{:<40} {:>7} {:>10} {:>10} {:>12} {:>8} {:>9}",
            "case", "spans", "budget", "store", "VmRSS growth", "evicted", "truncated"
        )?;
        for r in &self.flood {
            writeln!(
                f,
                "{:<40} {:>7} {:>6.0} MiB {:>6.1} MiB {:>8} MiB {:>8} {:>9}",
                r.what,
                r.spans,
                mb(r.budget as f64),
                mb(r.store_bytes as f64),
                r.rss_growth_bytes
                    .map(|b| format!("{:.1}", mb(b as f64)))
                    .unwrap_or_else(|| "-".into()),
                r.traces_evicted,
                r.values_truncated
            )?;
        }
        write!(f, "{}", self.queries)
    }
}

/// Sends `spans` exports of one span with a 1 MB attribute through the
/// OTLP/HTTP decoder path (protobuf decode, convert, store).
pub fn bench_flood(spans: usize, budget: usize, attr_value_max: usize, what: &str) -> FloodRow {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    let h = Hub::new(HubConfig {
        trace_bytes: budget,
        attr_value_max,
        ..HubConfig::default()
    });
    let big = "x".repeat(1 << 20);
    let rss0 = vm_rss_bytes();
    for i in 0..spans {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![KeyValue {
                        key: "service.name".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue("flood".into())),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        trace_id: (i as u128 + 1).to_be_bytes().to_vec(),
                        span_id: (i as u64 + 1).to_be_bytes().to_vec(),
                        name: "GET /big".into(),
                        kind: 2,
                        start_time_unix_nano: 1,
                        end_time_unix_nano: 2,
                        attributes: vec![KeyValue {
                            key: "payload".into(),
                            value: Some(AnyValue {
                                value: Some(any_value::Value::StringValue(big.clone())),
                            }),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let bytes = req.encode_to_vec();
        drop(req);
        let req = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("own encoding");
        h.ingest_traces(req);
    }
    let rss = match (rss0, vm_rss_bytes()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let health = h.health();
    FloodRow {
        what: what.to_string(),
        spans,
        budget,
        store_bytes: health.trace_store_bytes,
        rss_growth_bytes: rss,
        traces_evicted: health.traces_evicted,
        values_truncated: health.values_truncated,
    }
}

/// VmRSS of this process, bytes.
pub fn vm_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn hub(budget: usize) -> Arc<Hub> {
    Hub::new(HubConfig {
        span_budget: budget,
        ..HubConfig::default()
    })
}

/// A set of distinct encoded exports, reused with fresh trace ids a round.
fn batches(opts: &BenchOptions) -> Vec<EncodedBatch> {
    let mut rng = Rng::new(0x5eed);
    (0..16)
        .map(|i| EncodedBatch::new(&synth::request(&mut rng, i, opts.batch.max(1))))
        .collect()
}

/// The n-th export to send: batch `n % len` in round `n / len`.
fn nth(b: &[EncodedBatch], n: usize) -> Vec<u8> {
    b[n % b.len()].for_round((n / b.len()) as u32 + 1)
}

/// The in-process decode + convert + store path alone (what a profiler
/// wants to look at).
pub fn bench_in_process(opts: &BenchOptions) -> BenchRow {
    let b = batches(opts);
    let per = b[0].spans.max(1);
    let n = opts.spans.div_ceil(per).max(1);
    decode_and_store(opts, &b, n, per)
}

/// Protobuf bytes decoded, converted and stored on a fresh hub.
fn decode_and_store(opts: &BenchOptions, b: &[EncodedBatch], n: usize, per: usize) -> BenchRow {
    let h = hub(opts.budget);
    let mut elapsed = Duration::ZERO;
    let mut cpu_time = Some(Duration::ZERO);
    for i in 0..n {
        let bytes = nth(b, i);
        let c0 = cpu::this_thread();
        let t = Instant::now();
        let req = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("own encoding");
        h.ingest_traces(req);
        elapsed += t.elapsed();
        cpu_time = add_cpu(cpu_time, c0, cpu::this_thread());
    }
    BenchRow {
        path: "in-process: decode + convert + store".into(),
        spans: n * per,
        elapsed,
        cpu: cpu_time,
        error: None,
    }
}

/// `total` plus `after - before`, or `None` once a reading failed.
fn add_cpu(
    total: Option<Duration>,
    before: Option<Duration>,
    after: Option<Duration>,
) -> Option<Duration> {
    Some(total? + after?.saturating_sub(before?))
}

/// Runs the bench.
pub async fn bench_ingest(opts: BenchOptions) -> BenchReport {
    let b = batches(&opts);
    let per = b[0].spans.max(1);
    let n = opts.spans.div_ceil(per).max(1);
    let mut rows = Vec::new();

    // In-process: convert + store (decoding untimed). Also the memory probe.
    let rss0 = vm_rss_bytes();
    let h = hub(opts.budget);
    let mut elapsed = Duration::ZERO;
    let mut cpu_time = Some(Duration::ZERO);
    for i in 0..n {
        let req = ExportTraceServiceRequest::decode(nth(&b, i).as_slice()).expect("own encoding");
        let c0 = cpu::this_thread();
        let t = Instant::now();
        h.ingest_traces(req);
        elapsed += t.elapsed();
        cpu_time = add_cpu(cpu_time, c0, cpu::this_thread());
    }
    rows.push(BenchRow {
        path: "in-process: convert + store".into(),
        spans: n * per,
        elapsed,
        cpu: cpu_time,
        error: None,
    });
    let st = h.traces.stats();
    let rss_growth_bytes = match (rss0, vm_rss_bytes()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let (stored_spans, store_bytes) = (st.spans, st.approx_bytes);
    drop(h);

    rows.push(decode_and_store(&opts, &b, n, per));

    rows.push(network_row(&opts, &b, n, per, Transport::Grpc).await);
    rows.push(network_row(&opts, &b, n, per, Transport::Http).await);
    let (fs, fb) = (opts.flood_spans, opts.flood_budget);
    let flood = tokio::task::spawn_blocking(move || {
        vec![
            bench_flood(
                fs,
                fb,
                HubConfig::default().attr_value_max,
                "default value cap (4 KiB)",
            ),
            bench_flood(fs, fb, 2 << 20, "value cap raised to 2 MiB"),
        ]
    })
    .await
    .expect("flood bench");
    let points = opts.query_points;
    let queries = tokio::task::spawn_blocking(move || bench_queries(points))
        .await
        .expect("query bench");

    BenchReport {
        queries,
        options: opts,
        rows,
        stored_spans,
        store_bytes,
        rss_growth_bytes,
        flood,
    }
}

/// The name of the hub runtime's threads in the network paths.
const HUB_THREADS: &str = "hub-bench";

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    Grpc,
    Http,
}

async fn network_row(
    opts: &BenchOptions,
    b: &[EncodedBatch],
    n: usize,
    per: usize,
    transport: Transport,
) -> BenchRow {
    let c = opts.connections.max(1);
    let path = match transport {
        Transport::Grpc => format!("OTLP/gRPC, {c} connections"),
        Transport::Http => format!("OTLP/HTTP protobuf, {c} connections"),
    };
    // The hub runs on a runtime of its own, whose threads' CPU time is the
    // hub's; the clients stay on the caller's runtime.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(HUB_THREADS)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return BenchRow {
                path,
                spans: 0,
                elapsed: Duration::ZERO,
                cpu: None,
                error: Some(format!("a runtime for the hub: {e}")),
            };
        }
    };
    let result = async {
        let h = hub(opts.budget);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let server = rt.spawn({
            let h = h.clone();
            async move {
                let listener = match TcpListener::bind("127.0.0.1:0").await {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = addr_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = addr_tx.send(listener.local_addr().map_err(|e| e.to_string()));
                let stop = async {
                    let _ = stop_rx.await;
                };
                match transport {
                    Transport::Grpc => {
                        let _ = crate::otlp::grpc::serve_otlp_grpc(listener, h, stop).await;
                    }
                    Transport::Http => {
                        let _ = crate::otlp::http::serve_otlp_http(listener, h, stop).await;
                    }
                }
            }
        });
        let addr = addr_rx.await.map_err(|e| e.to_string())??;
        // Prepare every payload before timing.
        let payloads: Vec<Vec<Vec<u8>>> = (0..c)
            .map(|k| (k..n).step_by(c).map(|i| nth(b, i)).collect())
            .collect();
        let senders = wire::connect(transport == Transport::Grpc, addr, c).await?;
        let cpu0 = cpu::threads_named(HUB_THREADS);
        let t = Instant::now();
        let mut tasks = Vec::new();
        for (sender, batch) in senders.into_iter().zip(payloads) {
            tasks.push(tokio::spawn(sender.send_all(batch)));
        }
        for task in tasks {
            task.await.map_err(|e| e.to_string())??;
        }
        let elapsed = t.elapsed();
        let cpu_time = add_cpu(Some(Duration::ZERO), cpu0, cpu::threads_named(HUB_THREADS));
        let stored = h.traces.stats().spans_received as usize;
        let _ = stop_tx.send(());
        let _ = server.await;
        if stored != n * per {
            return Err(format!("hub received {stored} of {} spans", n * per));
        }
        Ok((elapsed, cpu_time))
    }
    .await;
    rt.shutdown_background();
    match result {
        Ok((elapsed, cpu)) => BenchRow {
            path,
            spans: n * per,
            elapsed,
            cpu,
            error: None,
        },
        Err(e) => BenchRow {
            path,
            spans: 0,
            elapsed: Duration::ZERO,
            cpu: None,
            error: Some(e),
        },
    }
}
