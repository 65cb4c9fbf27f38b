//! `chaoslab bench`: the lab's numbers, measured in one run and printed as
//! tables. Ratios (instrumented vs bare, proxied vs direct) are measured
//! side by side, so a noisy machine moves both. Build with `--release`.

pub mod events;
pub mod freshness;
mod labfile;
pub mod polyglot;
pub mod shop;

/// The `q` quantile of `sorted` (nearest rank; NaN when empty).
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The median of `v` (nearest rank; NaN when empty).
pub(crate) fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

/// `v` as a table cell: each value with `digits` decimals, comma-separated.
pub(crate) fn list(v: &[f64], digits: usize) -> String {
    v.iter()
        .map(|x| format!("{x:.digits$}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every benchmark, by name.
pub const NAMES: &[&str] = &[
    "startup",
    "shop",
    "polyglot",
    "proxy",
    "hub",
    "freshness",
    "events",
    "tui",
    "load",
    "resilience",
];

/// Runs the named benchmark (`all` for every one).
pub async fn run(what: &str, secs: u64) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!(
            "note: this is a debug build; run `cargo run --release -- bench` for real numbers"
        );
    }
    let names: Vec<&str> = if what == "all" {
        NAMES.to_vec()
    } else {
        vec![what]
    };
    let _envs = shop::share_envs()?;
    for name in names {
        match name {
            "startup" => println!("{}", shop::startup().await?),
            "shop" => println!("{}", shop::throughput(secs).await?),
            "polyglot" => println!("{}", polyglot::polyglot(secs).await?),
            "proxy" => {
                let opts = chaoslab_chaos::bench::BenchOptions {
                    case_duration: std::time::Duration::from_secs(secs.clamp(1, 10)),
                    ..Default::default()
                };
                println!("{}", chaoslab_chaos::bench::bench(opts).await?);
            }
            "hub" => println!(
                "{}",
                chaoslab_hub::bench_ingest(chaoslab_hub::BenchOptions::default()).await
            ),
            "freshness" => println!("{}", freshness::freshness().await?),
            "events" => println!("{}", events::events(secs).await?),
            "tui" => println!(
                "{}",
                tokio::task::spawn_blocking(chaoslab_tui::bench_render).await?
            ),
            "load" => println!("{}", chaoslab_load::bench(None, secs).await?),
            "resilience" => println!("{}", chaoslab_resilience::bench(200_000).await),
            other => anyhow::bail!(
                "unknown benchmark {other:?}; choose all or one of {}",
                NAMES.join(", ")
            ),
        }
    }
    Ok(())
}
