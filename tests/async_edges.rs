//! Messages through the broker are edges of their own kind: after a few
//! checkouts the hub's `/api/edges` has orders → shipments with the
//! messages' wait in the broker and the consumer's queue depth, derived
//! from the producer/consumer span pairs and the consumer's metrics, while
//! a plain call (gateway → orders) has none; the dashboard draws the
//! message edge dashed with its queue beside it.

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{Lab, broker::nats_installed, eventually, exe};

#[tokio::test(flavor = "multi_thread")]
async fn order_events_are_an_asynchronous_edge_with_wait_and_queue_depth() {
    if !nats_installed("the order events' edge") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    for _ in 0..5 {
        let r = lab
            .http
            .post(format!("{}/api/checkout", lab.gateway()))
            .bearer_auth(&token)
            .json(&json!({ "items": [{ "product_id": 4, "quantity": 1 }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let hub = lab.state["hub_url"].as_str().unwrap().to_string();
    let edges = eventually(
        "orders → shipments with its wait and queue depth",
        Duration::from_secs(20),
        || async {
            let v: Value = reqwest::get(format!("{hub}/api/edges"))
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let list = v["edges"].as_array()?.clone();
            let e = list
                .iter()
                .find(|e| e["from"] == "orders" && e["to"] == "shipments")?;
            let m = &e["messaging"];
            (m["wait_p99_ms"].as_f64().is_some() && m["queue_depth"].as_f64().is_some())
                .then_some(list)
        },
    )
    .await;
    let call = edges
        .iter()
        .find(|e| e["from"] == "gateway" && e["to"] == "orders")
        .expect("the checkout's call");
    assert!(
        call.get("messaging").is_none(),
        "a call is no message: {call}"
    );

    // The dashboard draws it from its own poll of the hub: drawn again
    // until its calls table has the row (or the deadline).
    let row = eventually(
        "the message edge in the calls table",
        Duration::from_secs(15),
        || async {
            let out = std::process::Command::new(exe())
                .args(["tui", "--snapshot", "--size", "140x40", "--state-dir"])
                .arg(lab.state_dir())
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            text.lines()
                .find(|l| l.contains("orders→shipments"))
                .map(str::to_string)
        },
    )
    .await;
    assert!(row.contains("⇢ queue"), "{row}");
}
