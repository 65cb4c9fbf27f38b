//! Delays as exact as the operating system allows, for the toxics' and
//! HTTP faults' latencies.
//!
//! tokio's timer wheel has a 1 ms tick and rounds every deadline up to the
//! next tick, so a 100 ms latency toxic added 101-102 ms. Here a delay is
//! waited in two parts:
//!
//! ```text
//!  now ─────── tokio sleep (to the deadline − 2 ms) ───────┬── timer thread ──> deadline
//!                                                          └ parks with the exact remainder
//!                                                            (Linux hrtimers: ~50-100 µs late)
//! ```
//!
//! The timer thread keeps the waiting deadlines in a heap and wakes each
//! task when its deadline is passed; only the last 2 ms of a delay go
//! through it, so it holds few entries even under many delayed connections.
//! `async-io`'s `Timer` does the same for its own reactor; a small thread of
//! our own keeps one runtime (tokio) in the agent.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{LazyLock, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::Thread;
use std::time::Duration;

use tokio::time::Instant;

/// The part of a delay waited on tokio's coarse timer stops this long
/// before the deadline.
const COARSE_MARGIN: Duration = Duration::from_millis(2);

/// Waits until `at`, within the operating system's timer slack.
pub async fn sleep_until(at: Instant) {
    if let Some(coarse) = at.checked_sub(COARSE_MARGIN)
        && coarse > Instant::now()
    {
        tokio::time::sleep_until(coarse).await;
    }
    Fine { at: at.into_std() }.await
}

/// Waits for `d`, within the operating system's timer slack.
pub async fn sleep(d: Duration) {
    sleep_until(Instant::now() + d).await
}

/// The last part of a delay, woken by the timer thread.
struct Fine {
    at: std::time::Instant,
}

impl Future for Fine {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::time::Instant::now() >= self.at {
            return Poll::Ready(());
        }
        // Registered again on every poll: a spurious poll with a new waker
        // still gets woken (an old entry only wakes a task early, and the
        // check above sends it back to sleep).
        TIMER.add(self.at, cx.waker().clone());
        Poll::Pending
    }
}

struct Entry {
    at: std::time::Instant,
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

struct Timer {
    heap: Mutex<BinaryHeap<Reverse<Entry>>>,
    thread: Thread,
}

static TIMER: LazyLock<Timer> = LazyLock::new(|| {
    let handle = std::thread::Builder::new()
        .name("chaos-timer".into())
        .spawn(run)
        .expect("the timer thread starts");
    Timer {
        heap: Mutex::new(BinaryHeap::new()),
        thread: handle.thread().clone(),
    }
});

impl Timer {
    fn add(&self, at: std::time::Instant, waker: Waker) {
        let mut heap = self.heap.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = heap.peek().is_none_or(|Reverse(e)| at < e.at);
        heap.push(Reverse(Entry { at, waker }));
        drop(heap);
        if earliest {
            self.thread.unpark();
        }
    }
}

/// The timer thread: wakes what is due, then parks until the next deadline
/// (or until an earlier one is added).
fn run() {
    loop {
        let timer = &*TIMER;
        let mut due = Vec::new();
        let next = {
            let mut heap = timer.heap.lock().unwrap_or_else(|p| p.into_inner());
            let now = std::time::Instant::now();
            while heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
                if let Some(Reverse(e)) = heap.pop() {
                    due.push(e.waker);
                }
            }
            heap.peek().map(|Reverse(e)| e.at - now)
        };
        for w in due {
            w.wake();
        }
        match next {
            Some(d) => std::thread::park_timeout(d),
            None => std::thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_delay_never_ends_before_its_deadline() {
        // How close to it is the bench's to say (`chaoslab bench proxy`).
        for i in 0..40u64 {
            let d = Duration::from_micros(1_500 + 137 * i);
            let start = Instant::now();
            sleep(d).await;
            let took = start.elapsed();
            assert!(took >= d, "ended {:?} early", d - took);
        }
    }

    #[tokio::test]
    async fn concurrent_delays_each_end_at_their_own_deadline() {
        let start = Instant::now();
        let tasks: Vec<_> = (1..=20u64)
            .rev()
            .map(|i| {
                tokio::spawn(async move {
                    let at = start + Duration::from_millis(i);
                    sleep_until(at).await;
                    (i, Instant::now() >= at)
                })
            })
            .collect();
        for t in tasks {
            let (i, on_time) = t.await.unwrap();
            assert!(on_time, "delay {i} ms ended early");
        }
    }
}
