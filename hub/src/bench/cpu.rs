//! CPU time, for the bench's "per core" numbers: the nanoseconds a thread
//! (its CPU-time clock) or a named group of threads (the kernel's
//! `/proc/.../schedstat`, its first field) ran on a CPU. Wall-clock rates on a shared
//! machine fall when other work takes the cores; CPU time counts only the
//! hub's own work, so spans per CPU-second is the rate one core sustains.

use std::time::Duration;

/// CPU time of the calling thread so far, from its CPU-time clock: exact,
/// where `schedstat` of a thread still running lags by up to a scheduler
/// tick (a few ms of work could read as none).
pub fn this_thread() -> Option<Duration> {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
    Some(Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32))
}

/// Summed CPU time of this process's threads whose name starts with
/// `prefix` (a tokio runtime's `thread_name`).
pub fn threads_named(prefix: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut any = false;
    for e in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = e.path();
        let named = std::fs::read_to_string(dir.join("comm"))
            .is_ok_and(|c| c.trim_end().starts_with(prefix));
        if named && let Some(t) = read(&dir.join("schedstat").to_string_lossy()) {
            total += t;
            any = true;
        }
    }
    any.then_some(total)
}

fn read(path: &str) -> Option<Duration> {
    let s = std::fs::read_to_string(path).ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_shows_cpu_time_and_an_idle_one_hardly_any() {
        let Some(t0) = this_thread() else {
            return; // no CPU-time clock here: the bench prints "-"
        };
        // Spinning shows as CPU time (however loaded the machine is: wait
        // for it with a deadline, never a fixed share of the wall clock).
        let mut x = 0u64;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let busy = loop {
            for _ in 0..100_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            let busy = this_thread().unwrap() - t0;
            if busy >= Duration::from_millis(20) || std::time::Instant::now() > deadline {
                break busy;
            }
        };
        std::hint::black_box(x);
        assert!(busy >= Duration::from_millis(20), "busy {busy:?}");
        let idle = std::thread::Builder::new()
            .name("cpu-idle-probe".into())
            .spawn(|| {
                let t0 = this_thread().unwrap();
                std::thread::sleep(Duration::from_millis(50));
                this_thread().unwrap() - t0
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(idle < Duration::from_millis(20), "idle {idle:?}");
        assert!(threads_named("no-such-thread-").is_none());
    }
}
