//! The bench's moving parts: a raw TCP response server and a closed-loop
//! load driver that records per-request latency in an HDR histogram.
//!
//! Protocol: the client sends 8 bytes (the response size, little-endian), the
//! server answers with that many bytes; connections are reused.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Start the response server on 127.0.0.1:0.
pub async fn response_server(cancel: CancellationToken) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let body: Arc<Vec<u8>> = Arc::new(vec![b'x'; 1 << 20]);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => return,
                a = listener.accept() => a,
            };
            let Ok((mut socket, _)) = accepted else {
                continue;
            };
            let body = body.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                let _ = socket.set_nodelay(true);
                let mut req = [0u8; 8];
                loop {
                    let read = tokio::select! {
                        _ = cancel.cancelled() => return,
                        r = socket.read_exact(&mut req) => r,
                    };
                    if read.is_err() {
                        return;
                    }
                    let n = (u64::from_le_bytes(req) as usize).min(body.len());
                    if socket.write_all(&body[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(addr)
}

/// What one load run measured.
#[derive(Debug, Clone)]
pub struct Run {
    pub requests: u64,
    pub elapsed: Duration,
    /// Request latency in microseconds.
    pub latency: Histogram<u64>,
}

impl Run {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// A latency quantile in microseconds.
    pub fn q(&self, quantile: f64) -> u64 {
        self.latency.value_at_quantile(quantile)
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// For the latency toxic's runs: exact to the microsecond up to 262 ms, five
/// significant digits above (three would round 100 ms up to 64 µs steps).
pub fn exact_histogram() -> Histogram<u64> {
    Histogram::new(5).expect("valid histogram precision")
}

/// One request-response on an open connection.
pub async fn request(stream: &mut TcpStream, size: usize, buf: &mut [u8]) -> std::io::Result<()> {
    stream.write_all(&(size as u64).to_le_bytes()).await?;
    let mut left = size;
    while left > 0 {
        let want = left.min(buf.len());
        let n = stream.read(&mut buf[..want]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        left -= n;
    }
    Ok(())
}

/// One client connection of a load run.
pub trait Conn: Send + 'static {
    /// One request, its whole answer read.
    fn request(&mut self) -> impl std::future::Future<Output = std::io::Result<()>> + Send;
}

/// A connection to the response server (or a TCP proxy of it).
struct TcpConn {
    stream: TcpStream,
    size: usize,
    buf: Vec<u8>,
}

impl Conn for TcpConn {
    async fn request(&mut self) -> std::io::Result<()> {
        request(&mut self.stream, self.size, &mut self.buf).await
    }
}

/// `connections` clients, each sending requests back to back for `duration`.
pub async fn drive(
    addr: &str,
    connections: usize,
    size: usize,
    duration: Duration,
) -> std::io::Result<Run> {
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        conns.push(TcpConn {
            stream,
            size,
            buf: vec![0u8; 64 * 1024],
        });
    }
    drive_conns(conns, duration).await
}

/// Each connection sends requests back to back for `duration`.
pub async fn drive_conns<C: Conn>(conns: Vec<C>, duration: Duration) -> std::io::Result<Run> {
    let start = Instant::now();
    let until = start + duration;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            tokio::spawn(async move {
                let mut hist = histogram();
                let mut count = 0u64;
                while Instant::now() < until {
                    let t = Instant::now();
                    conn.request().await?;
                    let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
                    count += 1;
                }
                Ok::<_, std::io::Error>((count, hist))
            })
        })
        .collect();
    let mut run = Run {
        requests: 0,
        elapsed: Duration::ZERO,
        latency: histogram(),
    };
    for task in tasks {
        let (count, hist) = task.await.map_err(std::io::Error::other)??;
        run.requests += count;
        let _ = run.latency.add(&hist);
    }
    run.elapsed = start.elapsed();
    Ok(run)
}
