//! `chaoslab load`: the lab file's journeys (parsed by the contract crate),
//! telemetry, the control API on `--listen`, the arrival loop until Ctrl-C
//! (the given shutdown) or `--duration`, then the final report table on
//! stdout.

use crate::config::LoadConfig;
use crate::generator::LoadGen;
use anyhow::Context as _;
use chaoslab_contract::Lab;
use chaoslab_kit::telemetry::{self, TelemetryOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// The arguments of `chaoslab load`.
#[derive(Debug, Clone)]
pub struct LoadArgs {
    /// The lab file whose `[load]` journeys are played.
    pub lab: PathBuf,
    /// Base URL of the lab's entry service.
    pub target: String,
    /// Arrivals per second (0 starts paused; `PUT /load` changes it);
    /// `None`: the lab file's `load.rate`, else 10.
    pub rate: Option<f64>,
    /// Where the control API and `/metrics` listen.
    pub listen: SocketAddr,
    pub poisson: bool,
    pub seed: Option<u64>,
    /// Stop by itself after this long.
    pub duration: Option<Duration>,
}

/// Runs the generator as a process of the lab and prints the totals when it ends.
pub async fn run_cli(
    args: LoadArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The file first: a bad one is refused before anything starts.
    let lab = Lab::load(&args.lab)?;
    let rate = args.rate.or(lab.load.rate).unwrap_or(10.0);
    let mut cfg = LoadConfig::new(args.target, lab.load);
    cfg.rate = rate;
    cfg.validate()
        .with_context(|| format!("the journeys of {}", args.lab.display()))?;
    let telemetry = telemetry::init(&TelemetryOptions::from_env("loadgen"))?;
    cfg.poisson = args.poisson;
    cfg.seed = args.seed;
    let generator = LoadGen::try_new(cfg)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let bound = listener.local_addr()?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let duration = args.duration;
    tokio::spawn(async move {
        match duration {
            Some(d) => {
                tokio::select! { _ = shutdown => {}, _ = tokio::time::sleep(d) => {} }
            }
            None => shutdown.await,
        }
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let app = generator.router(Some(telemetry.metrics()));
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(stopped(stop_rx.clone()))
            .into_future(),
    );
    tracing::info!(listen = %bound, rate, lab = %args.lab.display(), "load generator running");
    // Once stopping, journeys in flight and open connections get the kit's
    // drain cap, no more.
    let cap = chaoslab_kit::serve::DRAIN_CAP;
    let capped = |rx: watch::Receiver<bool>| async move {
        stopped(rx).await;
        tokio::time::sleep(cap).await;
    };
    tokio::select! {
        _ = generator.clone().run(stopped(stop_rx.clone())) => {}
        _ = capped(stop_rx.clone()) => {}
    }
    let Ok(server) = tokio::time::timeout(cap, server).await else {
        tracing::warn!("control API connections still open after shutdown: dropping them");
        println!("{}", crate::report::Table(&generator.report()));
        return Ok(());
    };
    match server {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "control API stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "control API task failed"),
    }
    println!("{}", crate::report::Table(&generator.report()));
    let _ = tokio::time::timeout(chaoslab_kit::serve::FLUSH_CAP, telemetry.shutdown()).await;
    Ok(())
}
