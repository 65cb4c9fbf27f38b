//! The accept loop of a running proxy: one task per listener, one task per
//! accepted connection; cancelling the token stops both.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{Proxy, connection};
use crate::views::ProxyMode;

/// Accept until cancelled; the listener is closed when this returns.
pub(super) async fn accept_loop(
    proxy: Arc<Proxy>,
    listener: TcpListener,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((socket, _)) => {
                let proxy = proxy.clone();
                let cancel = cancel.clone();
                tokio::spawn(async move {
                    match proxy.mode {
                        ProxyMode::Tcp => connection::serve(proxy, socket, cancel).await,
                        ProxyMode::Http => crate::http::serve(proxy, socket, cancel).await,
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: back off a little.
                tracing::warn!(proxy = %proxy.name, error = %e, "accept failed");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
        }
    }
}
