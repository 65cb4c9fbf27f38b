//! A fixed pool of workers for a service's business routes, as in a server
//! with one thread per request: with `max_concurrent_requests` set, that
//! many requests are served at once and the others wait for a free worker
//! (up to [`QUEUE_CAP`], then 503). Off by default; lesson 4 switches it on
//! at the gateway, so that calls piling up on a slow dependency take the
//! workers every other route needs too.
//!
//! The limit is read per request, so changing the setting acts at once;
//! hand-written (a counter and a [`Notify`]) because tokio's `Semaphore`
//! cannot shrink while permits are out.

use crate::context::ServiceCtx;
use axum::{extract::Request, extract::State, middleware::Next, response::Response};
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use std::time::Duration;
use tokio::sync::Notify;

/// How long a request waits for a free worker before it is refused.
pub const QUEUE_CAP: Duration = Duration::from_secs(5);

/// The requests in service, and a wake-up for those waiting.
#[derive(Debug, Default)]
pub struct Workers {
    busy: AtomicU64,
    freed: Notify,
}

/// A worker held for one request; freed when dropped.
struct Held<'a>(&'a Workers);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
        self.0.freed.notify_one();
    }
}

impl Workers {
    /// Requests being served now.
    pub fn busy(&self) -> u64 {
        self.busy.load(Ordering::Acquire)
    }

    fn try_take(&self, max: u64) -> Option<Held<'_>> {
        self.busy
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Held(self))
    }

    /// A worker, waiting up to `cap` for one to be free.
    async fn take(&self, max: u64, cap: Duration) -> Option<Held<'_>> {
        let until = tokio::time::Instant::now() + cap;
        loop {
            let freed = self.freed.notified();
            if let Some(h) = self.try_take(max) {
                return Some(h);
            }
            if tokio::time::timeout_at(until, freed).await.is_err() {
                return self.try_take(max);
            }
        }
    }
}

/// The middleware: serves the request on a free worker, or refuses it.
pub async fn limit(State(ctx): State<Arc<ServiceCtx>>, req: Request, next: Next) -> Response {
    let Some(max) = ctx.settings().max_concurrent_requests else {
        return next.run(req).await;
    };
    match ctx.workers.take(max.max(1), QUEUE_CAP).await {
        Some(_held) => next.run(req).await,
        None => crate::error::json_error(
            http::StatusCode::SERVICE_UNAVAILABLE,
            "no free worker",
            &format!(
                "all {max} workers stayed busy for {} s",
                QUEUE_CAP.as_secs()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_waits_for_a_free_worker_and_is_refused_after_the_cap() {
        let w = Workers::default();
        let first = w.try_take(1).expect("one worker free");
        assert!(w.try_take(1).is_none(), "the only worker is busy");
        assert!(
            w.take(1, Duration::from_millis(50)).await.is_none(),
            "refused once the cap passes"
        );
        let waiting = w.take(1, Duration::from_secs(5));
        let release = async {
            tokio::task::yield_now().await;
            drop(first);
        };
        let (got, ()) = tokio::join!(waiting, release);
        assert!(got.is_some(), "a freed worker goes to the one waiting");
        assert_eq!(w.busy(), 1);
    }
}
