//! The ingest bench runs every path to completion (a smoke run; the numbers
//! come from `chaoslab bench hub` or the ignored full run below, in release).

use chaoslab_hub::{BenchOptions, bench_ingest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_runs_every_path() {
    let r = bench_ingest(BenchOptions {
        spans: 4_000,
        batch: 200,
        connections: 2,
        budget: 1_000,
        query_points: 20,
        flood_spans: 12,
        flood_budget: 4 << 20,
    })
    .await;
    assert_eq!(r.rows.len(), 4);
    for row in &r.rows {
        assert_eq!(row.error, None, "{}", row.path);
        assert_eq!(row.spans, 4_000);
        assert!(row.spans_per_sec() > 0.0);
        // The hub's CPU time is counted (this kernel keeps schedstat).
        if std::path::Path::new("/proc/thread-self/schedstat").exists() {
            assert!(
                row.cpu.is_some_and(|c| !c.is_zero()),
                "{}: {:?}",
                row.path,
                row.cpu
            );
            assert!(row.spans_per_cpu_sec().is_some());
        }
    }
    assert_eq!(r.stored_spans, 1_000);
    assert!(r.store_bytes > 1_000 * 100);
    assert_eq!(r.queries.points_per_series, 20);
    assert!(r.queries.series > 1_000);
    assert_eq!(r.queries.calls.len(), 4);
    // The flood: the cap cuts every 1 MB value; with a cap above 1 MB the
    // byte budget holds, evicting.
    assert_eq!(r.flood.len(), 2);
    assert_eq!(r.flood[0].values_truncated, 12);
    assert_eq!(r.flood[0].traces_evicted, 0);
    assert!(r.flood[1].store_bytes <= 4 << 20, "{:?}", r.flood[1]);
    assert!(r.flood[1].traces_evicted >= 8, "{:?}", r.flood[1]);
    let table = r.to_string();
    assert!(
        table.contains("OTLP/gRPC") && table.contains("spans/s") && table.contains("per core"),
        "{table}"
    );
}

/// `cargo test -p chaoslab-hub --release --test bench -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn full_bench() {
    println!("{}", bench_ingest(BenchOptions::default()).await);
}
