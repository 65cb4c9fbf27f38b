//! Shop benchmarks: start-up time of the lab, gateway throughput with
//! telemetry on vs off, and memory of each service.

/// Time from `chaoslab up --headless` to every process ready.
pub async fn startup() -> anyhow::Result<String> {
    anyhow::bail!("not measured yet")
}

/// Gateway throughput, instrumented vs bare.
pub async fn throughput(_secs: u64) -> anyhow::Result<String> {
    anyhow::bail!("not measured yet")
}
