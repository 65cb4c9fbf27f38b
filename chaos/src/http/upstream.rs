//! The http-mode proxy's connections to its upstream: one hyper client per
//! proxy whose sockets count into Toxiproxy's byte counters, so the server
//! side shows traffic like a tcp proxy's: bytes written to the upstream count
//! as `direction="upstream"` sent, bytes read from it as `direction="downstream"`
//! received (headers and bodies: every byte on the socket).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::counted::Counted;
use crate::proxy::Proxy;
use crate::proxy::chain::Direction;

/// The client an http-mode proxy forwards with.
pub type UpstreamClient = Client<CountingConnector, super::toxic_body::ProxyBody>;

/// Build the client of one proxy.
pub(crate) fn client(proxy: &Arc<Proxy>) -> UpstreamClient {
    let mut inner = HttpConnector::new();
    inner.set_nodelay(true);
    inner.set_connect_timeout(Some(Duration::from_secs(5)));
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(CountingConnector {
            inner,
            proxy: Arc::downgrade(proxy),
        })
}

/// Dials like `HttpConnector` and wraps the socket in byte counters.
#[derive(Clone)]
pub struct CountingConnector {
    inner: HttpConnector,
    proxy: Weak<Proxy>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<Uri> for CountingConnector {
    type Response = TokioIo<Counted>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let dial = self.inner.call(uri);
        let proxy = self.proxy.clone();
        Box::pin(async move {
            let socket = dial.await?.into_inner();
            let proxy = proxy.upgrade().ok_or("proxy removed")?;
            Ok(TokioIo::new(Counted {
                inner: socket,
                received: proxy.bytes_counter("received", Direction::Downstream),
                sent: proxy.bytes_counter("sent", Direction::Upstream),
            }))
        })
    }
}

impl Connection for Counted {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}
