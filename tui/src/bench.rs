//! Speed: how long one frame takes to draw with a 10,000-span trace open and
//! 15 minutes of 1 s series for every service, and how much CPU the
//! dashboard burns while nobody touches it (polling a hub every second).
//!
//! Targets: a frame in 10 ms or less; idle CPU at most 2% of a core.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::fixture_hub::{self, FixtureHub};
use crate::screen::Screen;
use crate::state::TraceFocus;
use crate::{TuiConfig, action::DataEvent, app, fixtures, ui, update};

/// Frame target, ms.
pub const FRAME_TARGET_MS: f64 = 10.0;
/// Idle CPU target, % of one core.
pub const IDLE_TARGET_PCT: f64 = 2.0;

/// One measured frame kind.
#[derive(Debug, Clone)]
pub struct FrameRow {
    pub screen: Screen,
    pub width: u16,
    pub height: u16,
    pub frames: usize,
    pub mean_ms: f64,
    pub max_ms: f64,
}

/// What [`bench_render`] measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub spans: usize,
    pub series_points: usize,
    /// Building the waterfall order of the big trace once, ms.
    pub trace_layout_ms: f64,
    pub frames: Vec<FrameRow>,
    /// The dashboard's threads' CPU over the idle window, % of one core.
    pub idle_cpu_pct: Option<f64>,
    pub idle_window: Duration,
    /// Why the idle measurement could not run.
    pub idle_note: Option<String>,
}

impl BenchReport {
    /// The slowest mean frame, ms.
    pub fn worst_mean_ms(&self) -> f64 {
        self.frames.iter().map(|f| f.mean_ms).fold(0.0, f64::max)
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "TUI render: trace of {} spans, {} series points per service (waterfall order built in {:.2} ms)",
            self.spans, self.series_points, self.trace_layout_ms
        )?;
        writeln!(
            f,
            "{:<11} {:>9} {:>7} {:>10} {:>9}  target",
            "screen", "size", "frames", "mean ms", "max ms"
        )?;
        for r in &self.frames {
            let ok = if r.mean_ms <= FRAME_TARGET_MS {
                "ok"
            } else {
                "OVER"
            };
            writeln!(
                f,
                "{:<11} {:>9} {:>7} {:>10.3} {:>9.3}  <= {FRAME_TARGET_MS} ms {ok}",
                r.screen.name(),
                format!("{}x{}", r.width, r.height),
                r.frames,
                r.mean_ms,
                r.max_ms
            )?;
        }
        match (self.idle_cpu_pct, &self.idle_note) {
            (Some(p), _) => writeln!(
                f,
                "idle CPU over {:.0?} (polling a hub every second): {p:.2}% of a core  target <= {IDLE_TARGET_PCT}% {}",
                self.idle_window,
                if p <= IDLE_TARGET_PCT { "ok" } else { "OVER" }
            ),
            (None, Some(n)) => writeln!(f, "idle CPU: not measured ({n})"),
            (None, None) => writeln!(f, "idle CPU: not measured"),
        }
    }
}

/// Measures frame render time on every screen at three sizes, and idle CPU
/// over 5 s. Runs its own runtime; call it outside of one.
pub fn bench_render() -> BenchReport {
    bench_with(10_000, 900, 40, Duration::from_secs(5))
}

/// [`bench_render`] with explicit sizes (spans, series points, frames per
/// row, idle window).
pub fn bench_with(spans: usize, points: usize, frames: usize, idle: Duration) -> BenchReport {
    let trace = fixtures::big_trace(spans);
    let t = Instant::now();
    let mut state = fixtures::lab_state_with(points, fixtures::checkout_trace());
    update::apply(&mut state, DataEvent::Trace(Ok(Box::new(trace))));
    let trace_layout_ms = t.elapsed().as_secs_f64() * 1e3;
    state.traces.focus = TraceFocus::Waterfall;
    state.traces.span_selected = spans / 2;
    let mut rows = Vec::new();
    for (w, h) in [(80u16, 24u16), (120, 40), (200, 60)] {
        for screen in Screen::ALL {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
            let mut times = Vec::with_capacity(frames);
            for i in 0..frames {
                // Move the selection so each frame differs, as while scrolling.
                state.traces.span_selected = (spans / 2 + i) % spans.max(1);
                let t = Instant::now();
                terminal
                    .draw(|f| ui::draw(f, &state, screen))
                    .expect("draw");
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            rows.push(FrameRow {
                screen,
                width: w,
                height: h,
                frames,
                mean_ms: times.iter().sum::<f64>() / times.len().max(1) as f64,
                max_ms: times.iter().copied().fold(0.0, f64::max),
            });
        }
    }
    let (idle_cpu_pct, idle_note) = match idle_cpu(idle) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    BenchReport {
        spans,
        series_points: points,
        trace_layout_ms,
        frames: rows,
        idle_cpu_pct,
        idle_window: idle,
        idle_note,
    }
}

const TUI_THREAD: &str = "tui-bench";

/// Runs the real event loop on a test backend against the fixture hub (on
/// its own runtime and threads) and reads the CPU time of the loop's threads
/// from /proc.
fn idle_cpu(window: Duration) -> Result<f64, String> {
    let hub_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fixture-hub")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let listener = hub_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    hub_rt.spawn(fixture_hub::serve(
        listener,
        Arc::new(FixtureHub::lab()),
        async {
            let _ = stop_rx.await;
        },
    ));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(TUI_THREAD)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cfg = TuiConfig {
        hub_url: format!("http://{addr}"),
        agent_url: None,
        services: Vec::new(),
        loadgen_url: None,
    };
    let result = rt.block_on(async {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).map_err(|e| e.to_string())?;
        let (_keys_tx, keys_rx) = tokio::sync::mpsc::channel(1);
        // Warm up (first poll, first draws), then measure.
        let warm = tokio::time::sleep(Duration::from_millis(1500));
        let (start_tx, start_rx) = tokio::sync::oneshot::channel::<f64>();
        let measure = async move {
            warm.await;
            let before = thread_cpu_ticks(TUI_THREAD);
            let _ = start_tx.send(before);
            tokio::time::sleep(window).await;
        };
        app::run_loop(&mut terminal, &cfg, keys_rx, measure)
            .await
            .map_err(|e| e.to_string())?;
        let after = thread_cpu_ticks(TUI_THREAD);
        let before = start_rx.await.map_err(|e| e.to_string())?;
        let secs = (after - before).max(0.0) / CLOCK_TICKS_PER_S;
        Ok::<f64, String>(secs / window.as_secs_f64() * 100.0)
    });
    let _ = stop_tx.send(());
    rt.shutdown_timeout(Duration::from_secs(1));
    hub_rt.shutdown_timeout(Duration::from_secs(1));
    result
}

/// USER_HZ, the unit of /proc's `stat` CPU times (100 on Linux).
const CLOCK_TICKS_PER_S: f64 = 100.0;

/// CPU time of this process's threads whose name starts with `name`, in
/// clock ticks: from `schedstat` (nanoseconds) when the kernel has it, else
/// from `stat` (utime + stime, 10 ms resolution).
fn thread_cpu_ticks(name: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let prefix = &name[..name.len().min(15)];
    let mut total = 0.0;
    for task in dir.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        let sched = std::fs::read_to_string(task.path().join("schedstat")).ok();
        if let Some(ns) = sched.and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok()) {
            total += ns as f64 / 1e9 * CLOCK_TICKS_PER_S;
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ...; comm may hold spaces, so split at the last ')'.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // After comm: state is field 3, utime 14, stime 15 (1-based overall).
        let get = |i: usize| {
            fields
                .get(i - 3)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        total += (get(14) + get(15)) as f64;
    }
    total
}
