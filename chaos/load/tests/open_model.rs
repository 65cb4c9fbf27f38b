//! The open model: arrivals keep their rate when the shop slows down, the
//! in-flight bound drops (and counts) what is over it, and latency counts
//! from when an arrival was due.

mod support;

use chaoslab_load::{LoadConfig, LoadGen};
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::{Running, config, eventually, run_for, start_shop, weighted};

fn browse_only(url: &str, rate: f64) -> LoadConfig {
    weighted(config(url, rate), &[("browse", 1.0)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_shop_does_not_slow_the_arrivals() {
    let (url, shop) = start_shop().await;
    shop.products_delay_ms.store(300, Ordering::Relaxed);
    let generator = run_for(browse_only(&url, 200.0), Duration::from_millis(1500)).await;

    // 200/s for 1.5 s is 300 arrivals; a closed loop would manage far fewer
    // against 300 ms answers.
    let arrived = shop.hits("products");
    assert!(
        (280..=305).contains(&arrived),
        "the shop saw {arrived} requests, expected ~300"
    );
    let all = generator.report().totals.all;
    assert_eq!(all.requests, arrived, "every arrival counted once");
    assert_eq!(all.success, arrived);
    assert_eq!(all.dropped, 0);
    assert!(
        all.p50_ms.unwrap() >= 295.0,
        "latency includes the 300 ms: {:?}",
        all.p50_ms
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poisson_arrivals_hold_the_mean_rate() {
    let (url, shop) = start_shop().await;
    let mut cfg = browse_only(&url, 200.0);
    cfg.poisson = true;
    run_for(cfg, Duration::from_millis(1500)).await;
    // Mean 300, standard deviation ~17: five sigma either side.
    let arrived = shop.hits("products");
    assert!(
        (215..=385).contains(&arrived),
        "the shop saw {arrived} requests, expected ~300"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_over_the_in_flight_bound_are_counted_as_dropped() {
    let (url, shop) = start_shop().await;
    shop.stall();
    let mut cfg = browse_only(&url, 100.0);
    cfg.max_in_flight = 5;
    let running = Running::start(cfg);
    let generator = running.generator.clone();
    eventually("30 arrivals dropped", Duration::from_secs(5), || {
        std::future::ready(generator.report().totals.all.dropped >= 30)
    })
    .await;
    assert_eq!(shop.hits("products"), 5, "only the bound reached the shop");
    assert_eq!(generator.in_flight(), 5);
    shop.release();
    let generator = running.stop().await;
    let all = generator.report().totals.all;
    assert_eq!(all.success, 5);
    assert_eq!(
        all.requests,
        all.success + all.dropped,
        "no arrival lost silently"
    );
    assert_eq!(all.outcome("dropped"), all.dropped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_shop_shows_its_queueing_in_the_latencies() {
    let (url, shop) = start_shop().await;
    shop.stall();
    let running = Running::start(browse_only(&url, 100.0));
    eventually(
        "50 requests held by the shop",
        Duration::from_secs(5),
        || std::future::ready(shop.hits("products") >= 50),
    )
    .await;
    let generator = running.generator.clone();
    // Stop arriving, then let the shop answer everything at once.
    let stopping = tokio::spawn(running.stop());
    eventually("arrivals stopped", Duration::from_secs(5), || {
        std::future::ready(!generator.report().running)
    })
    .await;
    shop.release();
    stopping.await.unwrap();
    let all = generator.report().totals.all;
    // Arrivals came evenly over ~500 ms, all answered at the end: the first
    // waited ~500 ms, the median ~250 ms.
    assert!(all.max_ms.unwrap() >= 450.0, "max {:?}", all.max_ms);
    assert!(all.p50_ms.unwrap() >= 180.0, "p50 {:?}", all.p50_ms);
}

/// The classic coordinated-omission case: the generator itself stalls (its
/// runtime blocked), so arrivals due meanwhile go out late. Measured from the
/// send time they would look instant; from the intended time they carry the
/// stall.
#[test]
fn latency_counts_from_the_intended_send_time() {
    let shop_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (url, shop) = shop_rt.block_on(start_shop());
    let gen_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let generator = gen_rt.block_on(async {
        let generator = LoadGen::try_new(browse_only(&url, 200.0)).unwrap();
        let run = tokio::spawn(
            generator
                .clone()
                .run(tokio::time::sleep(Duration::from_millis(1200))),
        );
        eventually("first answers", Duration::from_secs(5), || {
            std::future::ready(generator.report().totals.all.success >= 20)
        })
        .await;
        // The injected fault: block the generator's only thread for 400 ms.
        std::thread::sleep(Duration::from_millis(400));
        run.await.unwrap();
        generator
    });
    let all = generator.report().totals.all;
    assert!(
        shop.hits("products") >= 200,
        "the late arrivals were still sent"
    );
    assert!(
        all.max_ms.unwrap() >= 350.0,
        "max {:?} must include the stall",
        all.max_ms
    );
    assert!(
        all.p95_ms.unwrap() >= 150.0,
        "p95 {:?} must include the stall",
        all.p95_ms
    );
}
