//! Workers for the resource faults: CPU burn and memory growth. Each stops
//! when its flag is set (the fault ended or was removed).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// Keeps `threads` OS threads busy `percent` of each 10 ms slice until
/// `until` or until `stop` is set.
pub fn cpu(threads: u32, percent: u8, until: tokio::time::Instant, stop: Arc<AtomicBool>) {
    let until = until.into_std();
    let slice = Duration::from_millis(10);
    let busy = slice * u32::from(percent) / 100;
    for i in 0..threads {
        let stop = stop.clone();
        let _ = std::thread::Builder::new()
            .name(format!("cpu-burn-{i}"))
            .spawn(move || {
                let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
                while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                    let start = Instant::now();
                    while start.elapsed() < busy {
                        x = x.rotate_left(7).wrapping_mul(0x2545_F491_4F6C_DD1D);
                    }
                    std::hint::black_box(x);
                    std::thread::sleep(slice.saturating_sub(start.elapsed()));
                }
            });
    }
}

/// Allocates (and touches) `mb_per_sec` MiB a second up to `max_mb`, holds it,
/// and frees it all when `stop` is set.
pub fn memory(mb_per_sec: u32, max_mb: u32, stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut held: Vec<Vec<u8>> = Vec::new();
        let step = Duration::from_millis(100);
        let per_step = (mb_per_sec as usize * 1024 * 1024 / 10).max(4096);
        let cap = max_mb as usize * 1024 * 1024;
        let mut total = 0usize;
        while !stop.load(Ordering::Relaxed) {
            if total < cap {
                let n = per_step.min(cap - total);
                held.push(vec![1u8; n]);
                total += n;
            }
            tokio::time::sleep(step).await;
        }
        drop(held);
    });
}
