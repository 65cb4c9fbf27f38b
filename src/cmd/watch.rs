//! `chaoslab watch`: the hub and the dashboard alone, no lab. Any OTLP
//! sender (any language, any SDK) pointed at the standard ports shows up:
//! its services, calls, RED numbers, traces and logs; `--scrape NAME=URL`
//! adds Prometheus targets. `--headless` runs the hub alone and prints
//! where it listens, as `up --headless` does.
//!
//! Ports: the OTLP standard 4317 (gRPC) and 4318 (HTTP) and the hub's 7070
//! when free, free ones otherwise; the line printed at start says which.

use std::net::{IpAddr, SocketAddr};

use tokio::net::TcpListener;

use super::hub::{Limits, Listeners};

/// Arguments of `chaoslab watch`.
#[derive(Debug, Clone)]
pub struct WatchArgs {
    pub headless: bool,
    /// Address to listen on (127.0.0.1 unless senders live elsewhere).
    pub bind: IpAddr,
    /// Prometheus targets, NAME=URL.
    pub scrape: Vec<(String, String)>,
    pub limits: Limits,
    /// Free ports only, never the standard ones (tests).
    pub ephemeral_ports: bool,
}

/// The standard OTLP ports and the hub API's.
pub const OTLP_GRPC_PORT: u16 = 4317;
pub const OTLP_HTTP_PORT: u16 = 4318;
pub const API_PORT: u16 = 7070;

/// Binds `port` on `ip`, or a free port when it is taken.
async fn bind_or_free(ip: IpAddr, port: u16) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(SocketAddr::new(ip, port)).await {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            TcpListener::bind(SocketAddr::new(ip, 0))
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {ip}: {e}"))
        }
        Err(e) => Err(anyhow::anyhow!("cannot listen on {ip}:{port}: {e}")),
    }
}

pub async fn run(args: WatchArgs) -> anyhow::Result<()> {
    let hub = super::hub::build(&args.scrape, None, args.limits)?;
    let port = |p: u16| if args.ephemeral_ports { 0 } else { p };
    let l = Listeners {
        api: bind_or_free(args.bind, port(API_PORT)).await?,
        grpc: bind_or_free(args.bind, port(OTLP_GRPC_PORT)).await?,
        http: bind_or_free(args.bind, port(OTLP_HTTP_PORT)).await?,
    };
    let api_url = format!("http://{}", l.api.local_addr()?);
    let grpc = l.grpc.local_addr()?;
    let http = l.http.local_addr()?;
    let hint = format!(
        "point any OpenTelemetry SDK here: OTEL_EXPORTER_OTLP_ENDPOINT=http://{grpc} (gRPC) \
         or http://{http} with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"
    );
    if args.headless {
        println!("{}", l.describe());
        println!("{hint}");
        println!("dashboard: chaoslab tui --hub {api_url}   (Ctrl-C stops)");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        return super::hub::serve(hub, l, super::shutdown()).await;
    }
    // The dashboard owns the terminal: say where things are before it opens
    // and again after it closes.
    eprintln!("{}", l.describe());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(super::hub::serve(hub, l, async {
        let _ = rx.await;
    }));
    let cfg = chaoslab_tui::TuiConfig {
        hub_url: api_url,
        agent_url: None,
        services: Vec::new(),
        loadgen_url: None,
    };
    let result = chaoslab_tui::run(cfg).await;
    let _ = tx.send(());
    let _ = server.await;
    eprintln!("{hint}");
    result
}
