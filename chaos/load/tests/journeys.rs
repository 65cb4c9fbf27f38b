//! The shop's journeys from `labs/shop.toml` against a small axum app like
//! the shop's gateway: chosen by weight, checkout with a cached bearer token
//! and a fresh Idempotency-Key (renewing the token on a 401), view_order of
//! placed orders, and every outcome told apart.

mod support;

use chaoslab_load::LoadConfig;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::{Running, config, eventually, run_for, start_shop, weighted};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_are_chosen_by_weight() {
    let (url, shop) = start_shop().await;
    let generator = run_for(config(&url, 400.0), Duration::from_millis(1500)).await;
    let totals = generator.report().totals;
    let n = totals.all.requests as f64;
    assert!(n >= 550.0, "{n} journeys");
    let share = |j: &str| totals.journeys[j].requests as f64 / n;
    // Expected 40/35/20/5 (view_order plays a checkout until its user has
    // an order); six sigma at n=600 is under 0.12 for the largest share.
    assert!(
        (share("browse") - 0.40).abs() < 0.10,
        "browse {}",
        share("browse")
    );
    assert!(
        (share("view_product") - 0.35).abs() < 0.10,
        "view_product {}",
        share("view_product")
    );
    assert!(
        (share("checkout") - 0.20).abs() < 0.08,
        "checkout {}",
        share("checkout")
    );
    assert!(
        share("view_order") > 0.0 && share("view_order") < 0.10,
        "view_order {}",
        share("view_order")
    );
    assert_eq!(
        totals.all.success, totals.all.requests,
        "{:?}",
        totals.all.outcomes
    );
    assert_eq!(shop.hits("order"), totals.journeys["view_order"].requests);
}

fn checkout_only(url: &str, rate: f64) -> LoadConfig {
    weighted(config(url, rate), &[("checkout", 1.0)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_sends_a_bearer_token_and_a_unique_idempotency_key() {
    let (url, shop) = start_shop().await;
    // A slow login: arrivals meanwhile wait for their user's token.
    shop.login_delay_ms.store(100, Ordering::Relaxed);
    let running = Running::start(checkout_only(&url, 100.0));
    eventually("30 checkouts", Duration::from_secs(5), || {
        std::future::ready(shop.checkouts.lock().unwrap().len() >= 30)
    })
    .await;
    // Tokens expire: the generator logs in again and completes the checkout.
    shop.revoke_tokens();
    let before = shop.issued_tokens();
    eventually("new tokens after the 401s", Duration::from_secs(5), || {
        std::future::ready(shop.issued_tokens() > before)
    })
    .await;
    eventually("30 more checkouts", Duration::from_secs(5), || {
        std::future::ready({
            shop.checkouts
                .lock()
                .unwrap()
                .iter()
                .filter(|c| c.status == 201)
                .count()
                >= 60
        })
    })
    .await;
    let generator = running.stop().await;

    let seen = shop.checkouts.lock().unwrap().clone();
    let accepted: Vec<_> = seen.iter().filter(|c| c.status == 201).collect();
    for c in &seen {
        let auth = c.authorization.as_deref().unwrap_or("");
        assert!(auth.starts_with("Bearer tok-"), "authorization {auth:?}");
    }
    let keys: HashSet<_> = accepted
        .iter()
        .map(|c| c.idempotency_key.clone().expect("a key"))
        .collect();
    assert_eq!(
        keys.len(),
        accepted.len(),
        "one fresh Idempotency-Key per checkout"
    );
    // Tokens are cached per user: far fewer logins than checkouts.
    assert!(
        shop.hits("login") * 4 < accepted.len() as u64,
        "{} logins",
        shop.hits("login")
    );
    let checkout = &generator.report().totals.journeys["checkout"];
    assert_eq!(
        checkout.success, checkout.requests,
        "a 401 is renewed, not failed: {:?}",
        checkout.outcomes
    );
    assert_eq!(checkout.success as usize, accepted.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_order_reads_orders_this_generator_placed() {
    let (url, shop) = start_shop().await;
    let cfg = weighted(
        config(&url, 100.0),
        &[("checkout", 1.0), ("view_order", 1.0)],
    );
    let running = Running::start(cfg);
    eventually("20 order views", Duration::from_secs(5), || {
        std::future::ready(shop.order_views.lock().unwrap().len() >= 20)
    })
    .await;
    let generator = running.stop().await;
    let views = shop.order_views.lock().unwrap().clone();
    assert!(views.iter().all(|(_, status)| *status == 200), "{views:?}");
    let r = generator.report().totals;
    assert_eq!(r.all.success, r.all.requests, "{:?}", r.all.outcomes);
}

fn browse_only(url: &str, rate: f64) -> LoadConfig {
    weighted(config(url, rate), &[("browse", 1.0)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_are_classified() {
    let (url, shop) = start_shop().await;

    shop.products_status.store(503, Ordering::Relaxed);
    let r = run_for(browse_only(&url, 100.0), Duration::from_millis(300))
        .await
        .report()
        .totals
        .all;
    assert!(r.requests >= 20);
    assert_eq!(
        r.outcome("server_error"),
        r.requests,
        "5xx: {:?}",
        r.outcomes
    );
    assert_eq!(r.errors, r.requests);
    assert_eq!(r.success_ratio, Some(0.0));

    shop.products_status.store(429, Ordering::Relaxed);
    let r = run_for(browse_only(&url, 100.0), Duration::from_millis(300))
        .await
        .report()
        .totals
        .all;
    assert_eq!(
        r.outcome("client_error"),
        r.requests,
        "4xx: {:?}",
        r.outcomes
    );

    shop.products_status.store(200, Ordering::Relaxed);
    shop.products_delay_ms.store(2000, Ordering::Relaxed);
    let mut cfg = browse_only(&url, 100.0);
    cfg.timeout = Duration::from_millis(200);
    let r = run_for(cfg, Duration::from_millis(300))
        .await
        .report()
        .totals
        .all;
    assert_eq!(r.outcome("timeout"), r.requests, "slow: {:?}", r.outcomes);
    assert!(
        r.p50_ms.unwrap() >= 195.0 && r.max_ms.unwrap() < 1000.0,
        "{:?}",
        r
    );

    // Nothing listens: a transport error.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let r = run_for(browse_only(&closed, 100.0), Duration::from_millis(300))
        .await
        .report()
        .totals
        .all;
    assert!(r.requests >= 20);
    assert_eq!(r.outcome("error"), r.requests, "refused: {:?}", r.outcomes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_with_one_seed_never_share_an_idempotency_key() {
    let (url, shop) = start_shop().await;
    run_for(checkout_only(&url, 100.0), Duration::from_millis(200)).await;
    let first = shop.checkouts.lock().unwrap().len();
    run_for(checkout_only(&url, 100.0), Duration::from_millis(200)).await;
    let seen = shop.checkouts.lock().unwrap().clone();
    assert!(
        first >= 10 && seen.len() >= first + 10,
        "{first} then {}",
        seen.len()
    );
    let keys: HashSet<_> = seen
        .iter()
        .filter_map(|c| c.idempotency_key.clone())
        .collect();
    assert_eq!(
        keys.len(),
        seen.len(),
        "a replayed key would replay an old order"
    );
}
