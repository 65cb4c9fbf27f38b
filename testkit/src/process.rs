//! Child processes a test started: wait for their exit with a deadline,
//! signal them, and stop them for good.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How often a child's exit is polled.
const POLL: Duration = Duration::from_millis(10);

/// Waits up to `within` for `child` to exit; its status, or `None` when it
/// is still running.
pub fn wait_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Sends `signal` to `child`, then waits up to `within` for its exit.
pub fn signal_and_wait(child: &mut Child, signal: Signal, within: Duration) -> Option<ExitStatus> {
    let _ = kill(Pid::from_raw(child.id() as i32), signal);
    wait_exit(child, within)
}

/// Stops `child`: SIGTERM, up to `within` to exit on its own, then SIGKILL.
pub fn stop(child: &mut Child, within: Duration) {
    if signal_and_wait(child, Signal::SIGTERM, within).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}
