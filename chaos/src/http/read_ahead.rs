//! A response held back by a downstream latency toxic keeps being read
//! from the upstream meanwhile, as a tcp link reads on while it holds bytes
//! back: when the delay ends, what arrived goes out at once, with no wait
//! for the upstream connection's task to be woken and read it then (after a
//! long idle, that wake alone cost a few hundred microseconds). At most
//! [`READ_AHEAD`] bytes are read ahead; past that the upstream waits, as it
//! would for a slow client.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};

use super::toxic_body::{BoxError, ProxyBody};

/// The most of a body read ahead during a delay.
const READ_AHEAD: usize = 1 << 20;

/// Waits `delay`, reading `body` ahead meanwhile; the body to send after it.
pub(crate) async fn delayed(delay: Duration, mut body: ProxyBody) -> ProxyBody {
    let sleep = crate::timer::sleep(delay);
    tokio::pin!(sleep);
    let mut ahead = VecDeque::new();
    let (mut bytes, mut ended) = (0, body.is_end_stream());
    loop {
        tokio::select! {
            biased;
            () = &mut sleep => break,
            frame = body.frame(), if !ended && bytes < READ_AHEAD => match frame {
                Some(frame) => {
                    ended = frame.is_err();
                    if let Ok(data) = frame.as_ref().map(|f| f.data_ref()) {
                        bytes += data.map_or(0, Bytes::len);
                    }
                    ahead.push_back(frame);
                }
                None => ended = true,
            },
        }
    }
    if ahead.is_empty() && !ended {
        return body;
    }
    ReadAhead {
        ahead,
        bytes: bytes as u64,
        rest: (!ended).then_some(body),
    }
    .boxed()
}

/// What was read ahead, then the rest of the body.
struct ReadAhead {
    ahead: VecDeque<Result<Frame<Bytes>, BoxError>>,
    /// Data bytes still in `ahead`.
    bytes: u64,
    rest: Option<ProxyBody>,
}

impl Body for ReadAhead {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(frame) = this.ahead.pop_front() {
            if let Ok(Some(data)) = frame.as_ref().map(|f| f.data_ref()) {
                this.bytes -= data.len() as u64;
            }
            return Poll::Ready(Some(frame));
        }
        match &mut this.rest {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ahead.is_empty() && self.rest.as_ref().is_none_or(|r| r.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let rest = self
            .rest
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |r| r.size_hint());
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + self.bytes);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + self.bytes);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};
    use tokio::time::Instant;

    #[tokio::test]
    async fn a_delayed_body_arrives_whole_after_the_delay_and_keeps_its_length() {
        let body = http_body_util::Full::new(Bytes::from_static(b"hello world"))
            .map_err(|e| match e {})
            .boxed();
        let start = Instant::now();
        let body = delayed(Duration::from_millis(30), body).await;
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(body.size_hint().exact(), Some(11));
        let got = body.collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], b"hello world");
    }

    #[tokio::test]
    async fn a_body_still_streaming_after_the_delay_goes_on_in_order() {
        // Three frames ready at once, then one that comes later.
        let late = async {
            tokio::time::sleep(Duration::from_millis(60)).await;
            Ok::<_, BoxError>(Frame::data(Bytes::from_static(b"4")))
        };
        let stream = futures::StreamExt::chain(
            futures::stream::iter(["1", "2", "3"].map(|p| Ok(Frame::data(Bytes::from(p))))),
            futures::stream::once(late),
        );
        let body = StreamBody::new(stream).boxed();
        let body = delayed(Duration::from_millis(10), body).await;
        assert!(!body.is_end_stream());
        let got = body.collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], b"1234");
        let empty = StreamBody::new(futures::stream::empty::<Result<Frame<Bytes>, BoxError>>());
        let body = delayed(Duration::from_millis(5), empty.boxed()).await;
        assert!(body.collect().await.unwrap().to_bytes().is_empty());
    }
}
