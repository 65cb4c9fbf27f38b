//! `chaoslab bench`: the lab's numbers, measured in one run and printed as
//! tables. Ratios (instrumented vs bare, proxied vs direct) are measured
//! side by side, so a noisy machine moves both.

pub mod shop;

/// Runs the named benchmark (`all` for every one).
pub async fn run(what: &str, secs: u64) -> anyhow::Result<()> {
    match what {
        "startup" => println!("{}", shop::startup().await?),
        "shop" => println!("{}", shop::throughput(secs).await?),
        "all" => {
            println!("{}", shop::startup().await?);
            println!("{}", shop::throughput(secs).await?);
        }
        other => anyhow::bail!("unknown benchmark {other:?}; choose startup, shop or all"),
    }
    Ok(())
}
