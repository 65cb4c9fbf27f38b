//! A lab file's journey played generically: placeholders filled, values
//! saved from one answer and sent in the next, `once` steps cached per user,
//! `expect` checked; a failed step ends the journey as an error that names
//! the step.

mod support;

use chaoslab_load::LoadConfig;
use std::collections::HashSet;
use std::time::Duration;
use support::{Running, eventually, lab_load, run_for, start_shop};

/// Login once, checkout (expects `checkout_expect`), then view the order.
fn order_flow(checkout_expect: &str, order_path: &str) -> String {
    format!(
        r#"
[load]
users = [{{ email = "alice@example.com", password = "alice" }}]
[[load.journeys]]
name = "order_flow"
steps = [
  {{ method = "POST", path = "/api/login", body = {{ email = "{{email}}", password = "{{password}}" }}, save = {{ token = "token" }}, once = true }},
  {{ method = "POST", path = "/api/checkout", expect = {checkout_expect}, headers = {{ authorization = "Bearer {{token}}", idempotency-key = "k-{{seq}}" }}, body = {{ items = [{{ product_id = "{{random:1..20}}", quantity = 1 }}] }}, save = {{ order = "{order_path}" }} }},
  {{ path = "/api/orders/{{order}}", expect = [200], headers = {{ authorization = "Bearer {{token}}" }} }},
]
"#
    )
}

fn cfg(url: &str, load_toml: &str) -> LoadConfig {
    let mut cfg = LoadConfig::new(url, lab_load(load_toml));
    cfg.rate = 100.0;
    cfg.seed = Some(11);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_values_reach_the_next_steps_and_once_steps_are_cached() {
    let (url, shop) = start_shop().await;
    let running = Running::start(cfg(&url, &order_flow("201", "order_id")));
    eventually("20 order views", Duration::from_secs(5), || {
        std::future::ready(shop.order_views.lock().unwrap().len() >= 20)
    })
    .await;
    let generator = running.stop().await;

    let r = &generator.report().totals.journeys["order_flow"];
    assert!(r.requests >= 20);
    assert_eq!(
        r.success, r.requests,
        "{:?} {:?}",
        r.outcomes, r.failed_steps
    );
    assert!(r.failed_steps.is_empty(), "{:?}", r.failed_steps);
    // The order viewed is the one the checkout before it created.
    let views = shop.order_views.lock().unwrap().clone();
    assert!(views.iter().all(|(_, status)| *status == 200), "{views:?}");
    let ids: HashSet<u64> = views.iter().map(|(id, _)| *id).collect();
    assert!(
        ids.len() >= views.len() - 1,
        "a new order each time: {views:?}"
    );
    // One user, one login: the once step's token is reused.
    assert_eq!(shop.hits("login"), 1);
    let keys: HashSet<_> = shop
        .checkouts
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.idempotency_key.clone().unwrap())
        .collect();
    assert_eq!(
        keys.len(),
        shop.hits("checkout") as usize,
        "{{seq}} is unique"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_expectation_ends_the_journey_as_an_error_naming_the_step() {
    let (url, shop) = start_shop().await;
    // The checkout answers 201; a step that expects 200 fails on it.
    let r = run_for(
        cfg(&url, &order_flow("200", "order_id")),
        Duration::from_millis(300),
    )
    .await
    .report()
    .totals;
    let j = &r.journeys["order_flow"];
    assert!(j.requests >= 20, "{j:?}");
    assert_eq!(j.outcome("error"), j.requests, "{:?}", j.outcomes);
    assert_eq!(
        j.failed_steps.get("2 POST /api/checkout"),
        Some(&j.requests),
        "{:?}",
        j.failed_steps
    );
    assert_eq!(
        shop.hits("order"),
        0,
        "the journey ended at the failed step"
    );

    // A value to save that the answer lacks fails the step too.
    let r = run_for(
        cfg(&url, &order_flow("201", "order.id")),
        Duration::from_millis(300),
    )
    .await
    .report()
    .totals;
    let j = &r.journeys["order_flow"];
    assert_eq!(j.outcome("error"), j.requests, "{:?}", j.outcomes);
    assert_eq!(
        j.failed_steps.get("2 POST /api/checkout"),
        Some(&j.requests)
    );

    // A 4xx the step does not expect is a client error at that step.
    let lost = r#"
[load]
[[load.journeys]]
name = "lost"
steps = [{ path = "/api/products/{random:100..200}" }]
"#;
    let r = run_for(cfg(&url, lost), Duration::from_millis(300))
        .await
        .report()
        .totals;
    let j = &r.journeys["lost"];
    assert_eq!(j.outcome("client_error"), j.requests, "{:?}", j.outcomes);
    assert_eq!(
        j.failed_steps.get("1 GET /api/products/{random:100..200}"),
        Some(&j.requests)
    );
    // ... and one it expects is a success.
    let found = lost.replace("}\" }]", "}\", expect = 404 }]");
    let r = run_for(cfg(&url, &found), Duration::from_millis(300))
        .await
        .report()
        .totals;
    let j = &r.journeys["lost"];
    assert_eq!(j.success, j.requests, "{found}: {:?}", j.outcomes);
}
