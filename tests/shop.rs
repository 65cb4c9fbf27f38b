//! The shop end to end: real processes from `chaoslab up`, real sockets,
//! every call through the chaos agent's proxies.

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{Lab, eventually};

#[tokio::test(flavor = "multi_thread")]
async fn checkout_confirms_decrements_stock_and_charges_once_even_when_repeated() {
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let before = lab.stock(4).await;

    let (status, body) = lab
        .checkout(
            &token,
            Some("checkout-1"),
            json!([{"product_id": 4, "quantity": 3}]),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "confirmed");
    assert_eq!(body["total_cents"], 3 * 2499);
    let order_id = body["order_id"].as_str().unwrap().to_string();
    assert_eq!(lab.stock(4).await, before - 3);
    assert_eq!(lab.charges(&order_id).await.len(), 1);

    // The same request again, same key: the same order, still one charge.
    let (status, again) = lab
        .checkout(
            &token,
            Some("checkout-1"),
            json!([{"product_id": 4, "quantity": 3}]),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(again["order_id"], order_id.as_str());
    assert_eq!(lab.stock(4).await, before - 3);
    assert_eq!(lab.charges(&order_id).await.len(), 1);

    // The order is readable by its owner, hidden from others.
    let (status, order) = lab
        .get_json_auth(&format!("{}/api/orders/{order_id}", lab.gateway()), &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(order["status"], "confirmed");
    let bob = lab.login_as("bob@example.com", "bob").await;
    let (status, _) = lab
        .get_json_auth(&format!("{}/api/orders/{order_id}", lab.gateway()), &bob)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_clear_statuses_and_messages() {
    let lab = Lab::start(&[], &[]).await;
    let gw = lab.gateway();
    let token = lab.login().await;

    let r = lab
        .http
        .post(format!("{gw}/api/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["reason"].as_str().unwrap().contains("JSON"), "{body}");

    let r = lab
        .http
        .post(format!("{gw}/api/login"))
        .json(&json!({"email": "alice@example.com", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let (status, body) = lab.get_json(&format!("{gw}/api/products/999")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not found");
    let (status, _) = lab.get_json(&format!("{gw}/api/products/abc")).await;
    assert_eq!(status, 400);

    let (status, body) = lab
        .checkout(
            "not-a-token",
            None,
            json!([{"product_id": 1, "quantity": 1}]),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = lab
        .checkout(&token, None, json!([{"product_id": 1, "quantity": 0}]))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("quantity"),
        "{body}"
    );
    let (status, _) = lab
        .checkout(&token, None, json!([{"product_id": 1, "quantity": 1000}]))
        .await;
    assert_eq!(status, 400);
    let (status, _) = lab
        .checkout(&token, None, json!([{"product_id": 77, "quantity": 1}]))
        .await;
    assert_eq!(status, 404);
    let (status, body) = lab.checkout(&token, None, json!("nope")).await;
    assert_eq!(status, 400, "{body}");
    // More than is in stock: a conflict, and nothing reserved.
    let before = lab.stock(10).await;
    let (status, body) = lab
        .checkout(
            &token,
            None,
            json!([{"product_id": 10, "quantity": 100}, {"product_id": 10, "quantity": 100}]),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(lab.stock(10).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_payment_leaves_no_stock_reserved_and_no_charge() {
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let before = lab.stock(2).await;
    // Every charge fails for a while.
    let r = lab
        .http
        .post(format!("{}/admin/faults", lab.url_of("payments")))
        .json(&json!({"kind": "error_rate", "rate": 1.0, "status": 503, "duration_ms": 60000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let started = std::time::Instant::now();
    let (status, body) = lab
        .checkout(
            &token,
            Some("k-fail"),
            json!([{"product_id": 2, "quantity": 1}]),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["reason"].is_string() && body["error"].is_string(),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered in {:?}",
        started.elapsed()
    );
    assert_eq!(lab.stock(2).await, before, "the reservation was released");
    // Clearing the fault restores payments at once.
    let r = lab
        .http
        .delete(format!("{}/admin/faults", lab.url_of("payments")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let all: Value = lab
        .http
        .get(format!("{}/charges", lab.url_of("payments")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 0, "no charge made: {all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn product_page_falls_back_to_unknown_stock_when_inventory_fails() {
    let lab = Lab::start(&[], &[]).await;
    let gw = lab.gateway();
    let (_, ok) = lab.get_json(&format!("{gw}/api/products/5")).await;
    assert!(ok["stock"].is_u64(), "{ok}");
    lab.http
        .post(format!("{}/admin/faults", lab.url_of("inventory")))
        .json(&json!({"kind": "error_rate", "rate": 1.0, "duration_ms": 60000}))
        .send()
        .await
        .unwrap();
    let (status, page) = lab.get_json(&format!("{gw}/api/products/5")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["stock"].is_null(), "{page}");
    assert_eq!(page["name"], "Timeout hourglass");

    // With the fallback switched off, the user gets a clear 503 instead.
    let r = lab
        .http
        .put(format!(
            "{}/admin/resilience/inventory",
            lab.url_of("catalog")
        ))
        .json(&json!({"fallback": {"enabled": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, body) = lab.get_json(&format!("{gw}/api/products/5")).await;
    assert_eq!(status, 503, "{body}");
    let metrics = lab.metrics_text("catalog").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("resilience_calls_total")
                && l.contains("outcome=\"fallback\"")
                && !l.ends_with(" 0")),
        "fallbacks counted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_service_is_restarted_by_the_supervisor() {
    let lab = Lab::start(&[], &[]).await;
    let (pid, new_pid) = lab.crash("payments").await;
    assert_ne!(new_pid, pid);
    let token = lab.login().await;
    let (status, body) = eventually("checkout works again", Duration::from_secs(10), || async {
        let (s, b) = lab
            .checkout(&token, None, json!([{"product_id": 1, "quantity": 1}]))
            .await;
        (s == 201).then_some((s, b))
    })
    .await;
    assert_eq!(status, 201, "{body}");
    let status = std::process::Command::new(support::exe())
        .args(["status", "--state-dir"])
        .arg(lab.state_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("payments"))
        .unwrap_or_default()
        .to_string();
    assert!(
        line.contains("ready") && line.split_whitespace().any(|w| w == "1"),
        "status shows the restart: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn payments_down_gives_a_clear_503_releases_stock_and_recovers_alone() {
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let before = lab.stock(6).await;
    let others: Vec<(String, Option<u32>)> = ["gateway", "users", "catalog", "inventory", "orders"]
        .iter()
        .map(|s| (s.to_string(), lab.pid_of(s)))
        .collect();

    // An outage of payments, through the agent: killed, and kept down.
    let r = lab
        .http
        .post(format!("{}/chaos/process/payments", lab.agent()))
        .json(&json!({"action": "stop", "duration_ms": 60000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let fault: Value = r.json().await.unwrap();
    eventually("payments down", Duration::from_secs(10), || async {
        lab.pid_of("payments").is_none().then_some(())
    })
    .await;

    let started = std::time::Instant::now();
    let (status, body) = lab
        .checkout(
            &token,
            Some("while-down"),
            json!([{"product_id": 6, "quantity": 2}]),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|r| r.contains("payments")),
        "the reason names payments: {body}"
    );
    assert!(
        took < Duration::from_millis(3500),
        "answered within the gateway's deadline: {took:?}"
    );
    assert_eq!(lab.stock(6).await, before, "the reservation was released");

    // Ending the outage brings payments back; nothing else restarts.
    let id = fault["id"].as_str().unwrap();
    let r = lab
        .http
        .delete(format!("{}/chaos/faults/{id}", lab.agent()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, body) = eventually("checkout works again", Duration::from_secs(15), || async {
        let (s, b) = lab
            .checkout(&token, None, json!([{"product_id": 6, "quantity": 1}]))
            .await;
        (s == 201).then_some((s, b))
    })
    .await;
    assert_eq!(status, 201, "{body}");
    for (name, pid) in others {
        assert_eq!(lab.pid_of(&name), pid, "{name} was not restarted");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_outage_ends_by_itself() {
    let lab = Lab::start(&[], &[]).await;
    let r = lab
        .http
        .post(format!("{}/chaos/process/inventory", lab.agent()))
        .json(&json!({"action": "stop", "duration_ms": 1500}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    eventually("inventory down", Duration::from_secs(5), || async {
        lab.pid_of("inventory").is_none().then_some(())
    })
    .await;
    eventually(
        "inventory back by itself",
        Duration::from_secs(15),
        || async {
            let r = lab
                .http
                .get(format!("{}/health/ready", lab.url_of("inventory")))
                .send()
                .await
                .ok()?;
            r.status().is_success().then_some(())
        },
    )
    .await;
}
