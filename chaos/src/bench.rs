//! The proxy's cost, measured: through an agent proxy with no toxics against
//! a direct connection and nginx in the same run (1 KB and 64 KB responses,
//! 1/16/64 connections), in both modes: tcp (against nginx `stream`) and
//! http (against nginx's HTTP proxy with upstream keep-alive). Each cell
//! runs direct, proxy and nginx in turn, [`BenchOptions::repeats`] times
//! in rotating order, and keeps the median rate of each, so the machine's
//! noise falls on all three. Then the latency a 100 ms latency toxic really
//! adds in each mode, and how close per-connection toxicity 0.3 comes to
//! 30% over many connections. `chaoslab bench proxy` prints the
//! [`BenchReport`] table.

mod http_latency;
mod http_load;
mod load;
mod nginx;
mod report;

pub use report::{BenchReport, LatencyRow, ThroughputRow, ToxicityRow};

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::agent::Agent;
use crate::config::AgentConfig;
use crate::views::{ProxySpec, ToxicSpec};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// How long each throughput case runs (direct and proxied each).
    pub case_duration: Duration,
    /// Response sizes in bytes.
    pub sizes: Vec<usize>,
    /// Concurrent connections.
    pub connections: Vec<usize>,
    /// The latency toxic's delay.
    pub latency: Duration,
    /// Requests measured through the latency toxic.
    pub latency_requests: usize,
    /// Connections opened for the toxicity check.
    pub toxicity_connections: usize,
    /// The toxicity checked.
    pub toxicity: f32,
    /// Also measure nginx when it is installed.
    pub compare_nginx: bool,
    /// Runs of each throughput case (medians are kept).
    pub repeats: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            case_duration: Duration::from_secs(2),
            sizes: vec![1024, 64 * 1024],
            connections: vec![1, 16, 64],
            latency: Duration::from_millis(100),
            latency_requests: 100,
            toxicity_connections: 10_000,
            toxicity: 0.3,
            compare_nginx: true,
            repeats: 3,
        }
    }
}

/// Run the bench on loopback, with its own agent, proxy and response server.
pub async fn bench(opts: BenchOptions) -> std::io::Result<BenchReport> {
    let cancel = CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    let server = load::response_server(cancel.clone()).await?;
    let agent = Agent::new(
        AgentConfig {
            seed: Some(1),
            ..AgentConfig::default()
        },
        None,
    );
    // The agent gets its own two threads, as it has in its own process (and
    // as nginx has its workers), apart from the load and the server.
    let agent_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-agent")
        .enable_all()
        .build()?;
    let spec = ProxySpec::new("bench", "127.0.0.1:0", server.to_string());
    let creating = agent.clone();
    let created = agent_rt
        .spawn(async move { creating.create_proxy(spec).await })
        .await
        .map_err(std::io::Error::other)?;
    let proxy = match created {
        Ok(proxy) => proxy,
        Err(e) => {
            agent_rt.shutdown_background();
            return Err(std::io::Error::other(e.message));
        }
    };
    let direct = server.to_string();
    let nginx = if opts.compare_nginx {
        nginx::start(server).await
    } else {
        None
    };
    let mut throughput = cells(
        "tcp",
        &opts,
        [
            Some(direct.clone()),
            Some(proxy.listen.clone()),
            nginx.as_ref().map(|n| n.addr.clone()),
        ],
        |addr, conns, size, d| async move { load::drive(&addr, conns, size, d).await },
    )
    .await?;
    drop(nginx);

    let http_server = http_load::http_server(cancel.clone()).await?;
    let spec = ProxySpec::new("bench_http", "127.0.0.1:0", http_server.to_string()).http();
    let creating = agent.clone();
    let http_proxy = agent_rt
        .spawn(async move { creating.create_proxy(spec).await })
        .await
        .map_err(std::io::Error::other)?
        .map_err(|e| std::io::Error::other(e.message))?;
    let nginx_http = if opts.compare_nginx {
        nginx::start_http(http_server).await
    } else {
        None
    };
    throughput.extend(
        cells(
            "http",
            &opts,
            [
                Some(http_server.to_string()),
                Some(http_proxy.listen.clone()),
                nginx_http.as_ref().map(|n| n.addr.clone()),
            ],
            |addr, conns, size, d| async move { http_load::drive_http(&addr, conns, size, d).await },
        )
        .await?,
    );
    drop(nginx_http);
    let nginx_ran = throughput.iter().any(|r| r.nginx_rps.is_some());

    let result = finish(
        &agent,
        &proxy.listen,
        &direct,
        &opts,
        throughput,
        nginx_ran,
        http_server,
    )
    .await;
    agent_rt.shutdown_background();
    result
}

async fn finish(
    agent: &Arc<Agent>,
    proxied: &str,
    direct: &str,
    opts: &BenchOptions,
    throughput: Vec<ThroughputRow>,
    nginx: bool,
    http_server: std::net::SocketAddr,
) -> std::io::Result<BenchReport> {
    let latency = vec![
        latency_case(agent, proxied, direct, opts).await?,
        latency_case_http(agent, http_server, opts).await?,
    ];
    let toxicity = toxicity_case(agent, proxied, opts).await?;
    Ok(BenchReport {
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        nginx,
        throughput,
        latency,
        toxicity,
    })
}

async fn latency_case(
    agent: &Arc<Agent>,
    proxied: &str,
    direct: &str,
    opts: &BenchOptions,
) -> std::io::Result<LatencyRow> {
    let ms = opts.latency.as_millis() as u64;
    let spec = ToxicSpec::new("latency", serde_json::json!({ "latency": ms }));
    agent
        .add_toxic("bench", spec, None)
        .map_err(|e| std::io::Error::other(e.message))?;
    let base = sequential(direct, 1024, opts.latency_requests.min(200), 1).await?;
    let slow = sequential(proxied, 1024, opts.latency_requests, 1).await?;
    let _ = agent.remove_toxic("bench", "latency_downstream");
    Ok(LatencyRow::of("tcp", ms, &base, &slow))
}

/// The same in HTTP mode (its own proxy and HTTP server).
async fn latency_case_http(
    agent: &Arc<Agent>,
    server: std::net::SocketAddr,
    opts: &BenchOptions,
) -> std::io::Result<LatencyRow> {
    let (base, slow) =
        http_latency::latency_http(agent, server, opts.latency, opts.latency_requests).await?;
    Ok(LatencyRow::of(
        "http",
        opts.latency.as_millis() as u64,
        &base,
        &slow,
    ))
}

/// Every size × connections cell of one mode: `targets` are direct, the
/// agent's proxy and nginx (when it runs), each driven by `drive`,
/// `opts.repeats` times in rotating order; the median rate of each.
async fn cells<F, Fut>(
    mode: &'static str,
    opts: &BenchOptions,
    targets: [Option<String>; 3],
    drive: F,
) -> std::io::Result<Vec<ThroughputRow>>
where
    F: Fn(String, usize, usize, Duration) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<load::Run>>,
{
    let median = |mut v: Vec<load::Run>| {
        v.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
        (!v.is_empty()).then(|| v.swap_remove(v.len() / 2))
    };
    let mut rows = Vec::new();
    for &size in &opts.sizes {
        for &connections in &opts.connections {
            let mut runs: [Vec<load::Run>; 3] = Default::default();
            for r in 0..opts.repeats.max(1) {
                for k in 0..3 {
                    let which = (r + k) % 3;
                    if let Some(addr) = &targets[which] {
                        runs[which].push(
                            drive(addr.clone(), connections, size, opts.case_duration).await?,
                        );
                    }
                }
            }
            let [d, p, n] = runs.map(median);
            let (Some(d), Some(p)) = (d, p) else {
                continue;
            };
            rows.push(ThroughputRow {
                mode,
                size,
                connections,
                direct_rps: d.rate(),
                proxy_rps: p.rate(),
                direct_p50: d.q(0.5),
                direct_p99: d.q(0.99),
                proxy_p50: p.q(0.5),
                proxy_p99: p.q(0.99),
                nginx_rps: n.as_ref().map(load::Run::rate),
                nginx_p99: n.as_ref().map(|n| n.q(0.99)),
            });
        }
    }
    Ok(rows)
}

/// `n` requests over `conns` connections, latencies in microseconds.
async fn sequential(
    addr: &str,
    size: usize,
    n: usize,
    conns: usize,
) -> std::io::Result<hdrhistogram::Histogram<u64>> {
    let per = n.div_ceil(conns).max(1);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let addr = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await?;
            s.set_nodelay(true)?;
            let mut hist = load::exact_histogram();
            let mut buf = vec![0u8; 64 * 1024];
            for _ in 0..per {
                let t = Instant::now();
                load::request(&mut s, size, &mut buf).await?;
                let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
            }
            Ok::<_, std::io::Error>(hist)
        }));
    }
    let mut all = load::exact_histogram();
    for t in tasks {
        let h = t.await.map_err(std::io::Error::other)??;
        let _ = all.add(&h);
    }
    Ok(all)
}

/// Open many connections through a `limit_data 0` toxic with the given
/// toxicity: an affected connection closes before any response byte.
async fn toxicity_case(
    agent: &Arc<Agent>,
    proxied: &str,
    opts: &BenchOptions,
) -> std::io::Result<ToxicityRow> {
    let mut spec = ToxicSpec::new("limit_data", serde_json::json!({"bytes": 0}));
    spec.toxicity = opts.toxicity;
    agent
        .add_toxic("bench", spec, None)
        .map_err(|e| std::io::Error::other(e.message))?;
    let total = opts.toxicity_connections;
    let workers = 16;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let addr = proxied.to_string();
        let count = total / workers + usize::from(w < total % workers);
        tasks.push(tokio::spawn(async move {
            let mut affected = 0usize;
            for _ in 0..count {
                let mut s = TcpStream::connect(&addr).await?;
                s.set_nodelay(true)?;
                let mut buf = [0u8; 1];
                let got = load::request(&mut s, 1, &mut buf).await.is_ok();
                if !got {
                    affected += 1;
                }
            }
            Ok::<_, std::io::Error>(affected)
        }));
    }
    let mut affected = 0;
    for t in tasks {
        affected += t.await.map_err(std::io::Error::other)??;
    }
    let _ = agent.remove_toxic("bench", "limit_data_downstream");
    Ok(ToxicityRow {
        toxicity: opts.toxicity as f64,
        connections: total,
        affected,
    })
}
