//! Real servers on port 0, for proxies and clients under test.
//!
//! Each binds a fresh loopback port, serves from a spawned task for the rest
//! of the test, and hands back its address.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A listener on a free loopback port.
pub async fn local_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port")
}

/// Serves `router` on a free loopback port; returns its address.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = local_listener().await;
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// An echo server: writes back what it reads; on EOF it half-closes too.
pub async fn echo_server() -> SocketAddr {
    let listener = local_listener().await;
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = socket.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
                let _ = w.shutdown().await;
            });
        }
    });
    addr
}

/// A server that writes `payload` to each client, then closes (after the
/// client's half-close if `wait_eof`).
pub async fn sending_server(payload: Vec<u8>, wait_eof: bool) -> SocketAddr {
    let listener = local_listener().await;
    let addr = listener.local_addr().expect("a bound address");
    let payload = Arc::new(payload);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let payload = payload.clone();
            tokio::spawn(async move {
                let _ = socket.write_all(&payload).await;
                if wait_eof {
                    let mut sink = Vec::new();
                    let _ = socket.read_to_end(&mut sink).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}
