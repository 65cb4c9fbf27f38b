//! A message body run through toxics: each data frame becomes an [`Item`] that
//! the active toxics of one direction turn into timed pieces, which the body
//! yields when they are due. This is how the toxics that act on bodies
//! ([`crate::toxics::HttpAct::on_body`]: `bandwidth`, `slicer`, `limit_data`,
//! `slow_close`, `noop`) act on an HTTP request or response body: the chain is
//! run by the same [`Runner`] as on a tcp connection's bytes.
//!
//! A `Close` (limit_data) ends the body with an error after what was let
//! through has been flushed, so the connection closes mid-message; the end of
//! the body waits for its due time (slow_close). When one of its toxics is
//! removed or updated, what it was holding back is released at once, and a
//! toxic added meanwhile is drawn for the rest of the body (as on a tcp
//! connection).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::proxy::chain::Chain;
use crate::proxy::runner::Runner;
use crate::toxics::Item;

/// The error type of proxied bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A proxied body.
pub type ProxyBody = BoxBody<Bytes, BoxError>;

/// A body that applies toxics to another body.
pub struct ToxicBody {
    inner: ProxyBody,
    runner: Runner,
    queue: VecDeque<Item>,
    /// The delay being waited and its deadline.
    timer: Option<(Instant, Pin<Box<dyn Future<Output = ()> + Send + Sync>>)>,
    inner_done: bool,
    /// Data was yielded since the last pause: let it be flushed before an error.
    unflushed: bool,
    /// Called when a toxic closes the connection.
    on_close: Option<OnClose>,
    /// Resolves when the proxy's toxics of this direction change.
    changed: Pin<Box<dyn Future<Output = watch::Receiver<Arc<Chain>>> + Send + Sync>>,
}

fn next_change(
    mut chain: watch::Receiver<Arc<Chain>>,
) -> Pin<Box<dyn Future<Output = watch::Receiver<Arc<Chain>>> + Send + Sync>> {
    Box::pin(async move {
        if chain.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        chain
    })
}

/// What to do when a toxic closes the connection.
pub type OnClose = Box<dyn Fn() + Send + Sync>;

impl ToxicBody {
    /// Wrap `inner`; `runner` already holds the toxics drawn for this
    /// message, and `chain` is the direction's chain it follows.
    pub fn new(
        inner: ProxyBody,
        runner: Runner,
        chain: watch::Receiver<Arc<Chain>>,
        on_close: Option<OnClose>,
    ) -> Self {
        Self {
            inner,
            runner,
            queue: VecDeque::new(),
            timer: None,
            inner_done: false,
            unflushed: false,
            on_close,
            changed: next_change(chain),
        }
    }

    fn apply(&mut self, item: Item) {
        let items = self.runner.apply(item, Instant::now());
        self.queue.extend(items);
    }
}

impl Body for ToxicBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        // Until pending, so a waiter for the next change is registered.
        while let Poll::Ready(mut chain) = this.changed.as_mut().poll(cx) {
            let current = chain.borrow_and_update().clone();
            if this.runner.sync(&current, &mut this.queue).is_err() {
                // A removed toxic ends the stream: close after what went before.
                this.queue.push_back(Item::Close {
                    at: Instant::now(),
                    origin: 0,
                });
            }
            this.changed = next_change(chain);
        }
        loop {
            if let Some(front) = this.queue.front() {
                let at = front.at();
                if at > Instant::now() {
                    if this.timer.as_ref().is_some_and(|(t, _)| *t != at) {
                        this.timer = None;
                    }
                    let (_, timer) = this
                        .timer
                        .get_or_insert_with(|| (at, Box::pin(crate::timer::sleep_until(at))));
                    if timer.as_mut().poll(cx).is_pending() {
                        this.unflushed = false;
                        return Poll::Pending;
                    }
                }
                match this.queue.pop_front() {
                    Some(Item::Data { bytes, .. }) => {
                        this.unflushed = true;
                        return Poll::Ready(Some(Ok(Frame::data(bytes))));
                    }
                    Some(Item::Eof { .. }) => return Poll::Ready(None),
                    Some(closing) => {
                        if this.unflushed {
                            // Give the connection a turn to write what went before.
                            this.unflushed = false;
                            this.queue.push_front(closing);
                            cx.waker().wake_by_ref();
                            return Poll::Pending;
                        }
                        this.queue.clear();
                        this.inner_done = true;
                        if let Some(on_close) = &this.on_close {
                            on_close();
                        }
                        return Poll::Ready(Some(Err("connection closed by a toxic".into())));
                    }
                    None => continue,
                }
            }
            if this.inner_done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => {
                    this.unflushed = false;
                    return Poll::Pending;
                }
                Poll::Ready(None) => {
                    this.inner_done = true;
                    this.apply(Item::Eof { at: Instant::now() });
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are dropped: toxics only know bytes.
                    if let Ok(bytes) = frame.into_data() {
                        this.apply(Item::Data {
                            at: Instant::now(),
                            bytes,
                        });
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Box any body as a [`ProxyBody`].
pub fn boxed<B>(body: B) -> ProxyBody
where
    B: Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed()
}
