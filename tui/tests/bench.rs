//! The render bench runs the way the CLI calls it (from `spawn_blocking`
//! inside a runtime) and prints a table with every screen and the idle CPU.

use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_runs_from_spawn_blocking_and_prints_a_table() {
    let report = tokio::task::spawn_blocking(|| {
        chaoslab_tui::bench::bench_with(500, 60, 2, Duration::from_millis(300))
    })
    .await
    .unwrap();
    let table = report.to_string();
    for screen in chaoslab_tui::Screen::ALL {
        assert!(table.contains(screen.name()), "{table}");
    }
    assert!(
        table.contains("80x24") && table.contains("200x60"),
        "{table}"
    );
    assert!(report.idle_cpu_pct.is_some(), "{table}");
    assert_eq!(report.frames.len(), 3 * chaoslab_tui::Screen::ALL.len());
}
