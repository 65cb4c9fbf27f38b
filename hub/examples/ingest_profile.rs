//! The in-process ingest path alone (decode + convert + derive + store),
//! for a profiler: `valgrind --tool=callgrind target/release/examples/ingest_profile 60000`.
//! `chaoslab bench hub` is where the numbers are reported.

fn main() {
    let spans: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300_000);
    let opts = chaoslab_hub::BenchOptions {
        spans,
        ..Default::default()
    };
    let row = chaoslab_hub::bench::bench_in_process(&opts);
    println!(
        "{} spans in {:.3} s: {:.0} spans/s",
        row.spans,
        row.elapsed.as_secs_f64(),
        row.spans_per_sec()
    );
}
