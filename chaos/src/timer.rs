//! Delays as exact as the operating system allows, for the toxics' and
//! HTTP faults' latencies.
//!
//! tokio's timer wheel has a 1 ms tick and rounds every deadline up to the
//! next tick, so a 100 ms latency toxic added 101-102 ms. Here a delay is
//! waited in two parts:
//!
//! ```text
//!  now ─────── tokio sleep (to the deadline − 2 ms) ───────┬── timerfd ──> deadline
//!                                                          └ a one-shot Linux timerfd armed with
//!                                                            the exact remainder, in tokio's epoll
//! ```
//!
//! The kernel's high-resolution timer behind a timerfd has no timer slack
//! (a sleeping thread's has 50 µs), and the worker waiting in epoll is
//! woken by it directly: one wake, where a timer thread of our own took
//! two (the thread, then the worker it woke). Only the last 2 ms of a
//! delay hold a descriptor, so even many delayed connections hold few.
//! Where no descriptor can be had (the file limit) the remainder is waited
//! on tokio's timer: a millisecond late, never early. The runtime must
//! have I/O enabled, as every runtime that serves a proxy's sockets has.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

/// The part of a delay waited on tokio's coarse timer stops this long
/// before the deadline.
const COARSE_MARGIN: Duration = Duration::from_millis(2);

/// Waits until `at`, within the operating system's timer resolution.
pub async fn sleep_until(at: Instant) {
    if let Some(coarse) = at.checked_sub(COARSE_MARGIN)
        && coarse > Instant::now()
    {
        tokio::time::sleep_until(coarse).await;
    }
    let left = at.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return;
    }
    if alarm(left).await.is_err() {
        tokio::time::sleep_until(at).await;
    }
}

/// Waits for `d`, within the operating system's timer resolution.
pub async fn sleep(d: Duration) {
    sleep_until(Instant::now() + d).await
}

/// A timerfd as tokio's [`AsyncFd`] wants it.
struct Alarm(TimerFd);

impl AsRawFd for Alarm {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Waits `left` on a one-shot timerfd (closed when done or dropped).
async fn alarm(left: Duration) -> std::io::Result<()> {
    let fd = TimerFd::new(
        ClockId::CLOCK_MONOTONIC,
        TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
    )?;
    fd.set(
        Expiration::OneShot(TimeSpec::from_duration(left)),
        TimerSetTimeFlags::empty(),
    )?;
    // Deprecated for letting a type hand out a descriptor it does not own;
    // `Alarm` owns its timerfd for as long as the `AsyncFd` holds it (the
    // replacement is an `unsafe fn`, and this crate has no unsafe code).
    #[allow(deprecated)]
    let fd = AsyncFd::with_interest(Alarm(fd), Interest::READABLE)?;
    loop {
        let mut ready = fd.readable().await?;
        // The expiry count: there once the timer has fired.
        match nix::unistd::read(fd.get_ref().0.as_fd(), &mut [0u8; 8]) {
            Ok(_) => return Ok(()),
            Err(nix::errno::Errno::EAGAIN) => ready.clear_ready(),
            Err(e) => return Err(e.into()),
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
