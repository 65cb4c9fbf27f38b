//! The pause guard: a tiny process that ends a pause on its own clock.
//!
//! A paused (SIGSTOPped) child cannot resume itself, and the supervisor that
//! paused it may die (SIGKILL) before the pause ends. So every pause gets a
//! guard, `chaoslab pause-guard`, started by the supervisor right after the
//! SIGSTOP, as its own process:
//!
//! ```text
//!  supervisor ──SIGSTOP──> child          (the supervisor may die here)
//!      └──spawns──> pause-guard --pid P --start S [--for-ms N] --parent SUP
//!                      at the end of N ms: SIGCONT P, exit
//!                      no N (a pause until resumed): SIGCONT P once SUP is gone
//!                      P gone, restarted (start time differs) or resumed: exit
//! ```
//!
//! The guard outlives the supervisor only until the pause's end. The resumed
//! child then sees that its supervisor is gone and exits by itself
//! (`CHAOSLAB_PARENT_PID`). While the supervisor lives, it ends the guard
//! itself when the pause ends early (resume, restart, kill, shutdown).

use nix::{sys::signal::Signal, unistd::Pid};
use std::time::{Duration, Instant};

/// How often the guard looks at the child and the supervisor.
const POLL: Duration = Duration::from_millis(50);

/// A process's state letter and start time (clock ticks after boot), from
/// `/proc/PID/stat`; `None` when there is no such process.
pub fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: cut after it.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    // Field 22 of the whole line is the start time; `rest` begins at field 3.
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

/// Arguments of `chaoslab pause-guard`.
#[derive(Debug, Clone)]
pub struct GuardArgs {
    /// The paused child.
    pub pid: u32,
    /// Its start time, so a reused pid is never touched.
    pub start: u64,
    /// Resume after this long; none: resume when the supervisor is gone.
    pub for_ms: Option<u64>,
    /// The supervisor's pid.
    pub parent: u32,
}

/// Runs the guard until the pause is over.
pub async fn run(args: GuardArgs) {
    let began = Instant::now();
    let end = args.for_ms.map(|ms| began + Duration::from_millis(ms));
    let mut seen_stopped = false;
    loop {
        let Some((state, start)) = proc_stat(args.pid) else {
            return;
        };
        if start != args.start {
            return;
        }
        let stopped = state == 'T';
        seen_stopped |= stopped;
        if seen_stopped && !stopped {
            // Resumed by someone else: the pause is over.
            return;
        }
        let due = match end {
            Some(end) => Instant::now() >= end,
            None => std::os::unix::process::parent_id() != args.parent,
        };
        if due {
            let _ = nix::sys::signal::kill(Pid::from_raw(args.pid as i32), Signal::SIGCONT);
            return;
        }
        let nap = end.map_or(POLL, |e| {
            e.saturating_duration_since(Instant::now()).min(POLL)
        });
        tokio::time::sleep(nap).await;
    }
}
