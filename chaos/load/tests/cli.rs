//! `chaoslab load` as a whole: telemetry, control API, arrivals until
//! `--duration`, then the final report; a bad target or lab file is refused
//! up front.

mod support;

use chaoslab_load::{LoadArgs, run_cli};
use std::time::{Duration, Instant};
use support::start_shop;

fn shop_lab() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml")
}

fn args(target: &str) -> LoadArgs {
    LoadArgs {
        lab: shop_lab(),
        target: target.to_string(),
        rate: Some(50.0),
        listen: "127.0.0.1:0".parse().unwrap(),
        poisson: false,
        seed: Some(3),
        duration: Some(Duration::from_millis(600)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_for_its_duration_and_stops() {
    let (url, shop) = start_shop().await;
    let started = Instant::now();
    run_cli(args(&url), std::future::pending())
        .await
        .expect("a clean run");
    let hits = shop.total_hits();
    // 50/s for 0.6 s: 30 journeys, some of them two requests (login + checkout).
    assert!((25..=60).contains(&hits), "{hits} requests");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    let err = run_cli(args("ftp://nowhere"), std::future::pending())
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("scheme"), "{err:#}");

    // A lab file that does not parse is refused with its file and place.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[services.a]\nurl = \"http://127.0.0.1:1\"\n[[load.journeys]]\nname = \"x\"\nsteps = [{ path = \"/{nope}\" }]\n",
    )
    .unwrap();
    let err = run_cli(
        LoadArgs {
            lab: bad,
            ..args(&url)
        },
        std::future::pending(),
    )
    .await
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("bad.toml:5") && msg.contains("{nope}"),
        "{msg}"
    );
}
