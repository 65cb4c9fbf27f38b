//! One proxied TCP connection: dial the upstream, run both links, and end the
//! way the links say (half-close per direction, close, or reset).

use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::Proxy;
use super::chain::Direction;
use super::link::{self, LinkCtx, LinkEnd};
use chaoslab_kit::names;

/// Serve one accepted client until both directions end or the proxy stops.
pub(super) async fn serve(proxy: Arc<Proxy>, mut client: TcpStream, cancel: CancellationToken) {
    let upstream_addr = proxy.lock().upstream.clone();
    let dialed = tokio::select! {
        _ = cancel.cancelled() => return,
        dialed = TcpStream::connect(&upstream_addr) => dialed,
    };
    let mut upstream = match dialed {
        Ok(upstream) => upstream,
        Err(e) => {
            tracing::warn!(proxy = %proxy.name, upstream = %upstream_addr, error = %e,
                "unable to open connection to upstream");
            return;
        }
    };
    // Nagle plus delayed ACKs stall small writes by ~40 ms: turn Nagle off on both sides.
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);

    let seed = proxy.connection_seed();
    let ctx = |direction: Direction| {
        let target = proxy.name.clone();
        LinkCtx {
            chain: proxy.chain(direction),
            rng: StdRng::seed_from_u64(
                seed ^ (direction.index() as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ),
            received: proxy.bytes_counter("received", direction),
            sent: proxy.bytes_counter("sent", direction),
            on_injection: Arc::new(move |kind: &str| {
                metrics::counter!(names::CHAOS_INJECTIONS,
                    names::label::TARGET => target.clone(), names::label::KIND => kind.to_string())
                .increment(1);
            }),
        }
    };
    let up_cx = ctx(Direction::Upstream);
    let down_cx = ctx(Direction::Downstream);

    let end = {
        let (client_read, client_write) = client.split();
        let (upstream_read, upstream_write) = upstream.split();
        let up = link::run(client_read, upstream_write, up_cx);
        let down = link::run(upstream_read, client_write, down_cx);
        tokio::pin!(up, down);
        let (mut up_done, mut down_done) = (false, false);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break LinkEnd::Close,
                end = &mut up, if !up_done => match end {
                    LinkEnd::Eof => up_done = true,
                    other => break other,
                },
                end = &mut down, if !down_done => match end {
                    LinkEnd::Eof => down_done = true,
                    other => break other,
                },
            }
            if up_done && down_done {
                break LinkEnd::Eof;
            }
        }
    };
    if end == LinkEnd::Reset {
        for socket in [&client, &upstream] {
            let _ = socket2::SockRef::from(socket).set_linger(Some(Duration::ZERO));
        }
    }
}
