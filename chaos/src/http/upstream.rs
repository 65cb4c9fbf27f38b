//! The http-mode proxy's connections to its upstream: each client connection
//! has one upstream connection of its own, dialed on its first request and
//! again when the upstream closed it or the proxy's upstream changed. HTTP/1.1
//! answers a connection's requests one at a time, so one upstream connection
//! per client connection carries them in order with no pool between (a
//! shared pool's checkout, its keys and the absolute URIs it needs cost more
//! per request than the forwarding itself). A request the upstream closed
//! the connection before reading is sent again on a new connection, as a
//! pooling client does. The upstream connection is driven by the client
//! connection's own task ([`Driver`], polled beside the server side), as a
//! tcp proxy's two directions are: a request never waits for another task
//! (or thread) to be woken to write it or read its answer. The socket counts
//! into Toxiproxy's byte counters, so the server side shows traffic like a
//! tcp proxy's: bytes written to the upstream count as `direction="upstream"`
//! sent, bytes read from it as `direction="downstream"` received (headers and
//! bodies: every byte).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::counted::Counted;
use super::toxic_body::{BoxError, ProxyBody};
use crate::proxy::Proxy;
use crate::proxy::chain::Direction;

/// How long dialing the upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One client connection's way to the upstream.
pub(crate) struct Upstream {
    /// The connection, with the address it was dialed to; taken while a
    /// request is on it.
    current: Mutex<Option<(String, SendRequest<ProxyBody>)>>,
    /// Where a new connection is handed to the [`Driver`].
    slot: Arc<Mutex<Slot>>,
}

type ConnFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

#[derive(Default)]
struct Slot {
    conn: Option<ConnFuture>,
    /// The client connection's task, to wake when a connection arrives.
    waker: Option<Waker>,
}

/// Drives the upstream connection of one client connection; polled by that
/// connection's task until it ends (it never completes by itself). Dropping
/// it closes the upstream connection.
pub(crate) struct Driver(Arc<Mutex<Slot>>);

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conn) = slot.conn.as_mut()
            && conn.as_mut().poll(cx).is_ready()
        {
            slot.conn = None;
        }
        if slot.conn.is_none() && !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            slot.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Upstream {
    /// No connection yet, and the driver of the ones to come.
    pub(crate) fn new() -> (Self, Driver) {
        let slot = Arc::new(Mutex::new(Slot::default()));
        (
            Self {
                current: Mutex::new(None),
                slot: slot.clone(),
            },
            Driver(slot),
        )
    }

    /// Send `req` (origin-form URI) to the proxy's upstream.
    pub(crate) async fn send(
        &self,
        proxy: &Proxy,
        mut req: Request<ProxyBody>,
    ) -> Result<Response<Incoming>, BoxError> {
        let kept = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let reusable =
            kept.filter(|(addr, sender)| *addr == proxy.lock().upstream && !sender.is_closed());
        if let Some((addr, mut sender)) = reusable
            && sender.ready().await.is_ok()
        {
            match sender.try_send_request(req).await {
                Ok(resp) => {
                    self.keep(addr, sender);
                    return Ok(resp);
                }
                // Closed before the request was written: dial again.
                Err(mut e) => match e.take_message() {
                    Some(back) => req = back,
                    None => return Err(e.into_error().into()),
                },
            }
        }
        let addr = proxy.lock().upstream.clone();
        let mut sender = self.dial(proxy, &addr).await?;
        let resp = sender.send_request(req).await?;
        self.keep(addr, sender);
        Ok(resp)
    }

    fn keep(&self, addr: String, sender: SendRequest<ProxyBody>) {
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some((addr, sender));
    }

    async fn dial(&self, proxy: &Proxy, addr: &str) -> Result<SendRequest<ProxyBody>, BoxError> {
        let socket = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| format!("connect timed out after {CONNECT_TIMEOUT:?}"))??;
        socket.set_nodelay(true)?;
        let io = TokioIo::new(Counted {
            inner: socket,
            received: proxy.bytes_counter("received", Direction::Downstream),
            sent: proxy.bytes_counter("sent", Direction::Upstream),
        });
        let (sender, conn) = http1::handshake(io).await?;
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.conn = Some(Box::pin(async move {
            let _ = conn.await;
        }));
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
        Ok(sender)
    }
}
