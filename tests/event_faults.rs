//! The message faults of an event consumer, against the real broker (the
//! shop's lab, nats-server with JetStream): `duplicate_delivery` (the same
//! message delivered again after the work) makes two shipments for one
//! order unless shipments honours message ids; `poison_message` makes the
//! next message one shipments cannot handle, which holds the queue without
//! a dead-letter queue and is dead-lettered with one. Each is a
//! `chaos.fault` event on the `process order.placed` span it hit, counted
//! in `chaos_injections_total`, removable, and gone by itself after its
//! duration; a bad value or a service that consumes nothing is refused.

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{
    Lab,
    broker::{jetstream_of, messages, nats_installed},
    eventually,
};

/// A trace id per checkout, so its consumer spans can be found in the hub.
fn traceparent(n: u64) -> (String, String) {
    let trace = format!("{n:032x}");
    (trace.clone(), format!("00-{trace}-00f067aa0ba902b7-01"))
}

/// A checkout of one item in the trace `traceparent`; the order id.
async fn order(lab: &Lab, token: &str, traceparent: &str) -> String {
    let r = lab
        .http
        .post(format!("{}/api/checkout", lab.gateway()))
        .bearer_auth(token)
        .header("traceparent", traceparent)
        .json(&json!({ "items": [{ "product_id": 3, "quantity": 1 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    body["order_id"].as_str().unwrap().to_string()
}

/// The shipments made for `order`.
async fn shipments(lab: &Lab, order: &str) -> usize {
    let url = format!("{}/shipments?order_id={order}", lab.url_of("shipments"));
    lab.get_json(&url).await.1.as_array().map_or(0, Vec::len)
}

async fn set(lab: &Lab, service: &str, settings: Value) {
    let r = lab
        .http
        .put(format!("{}/admin/settings", lab.url_of(service)))
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// POSTs a fault for `service` through the agent: status and answer.
async fn fault(lab: &Lab, service: &str, body: Value) -> (u16, Value) {
    lab.post_agent(&format!("/chaos/services/{service}/faults"), body)
        .await
}

/// The faults `service` has in force.
async fn active(lab: &Lab, service: &str) -> Vec<Value> {
    let url = format!("{}/admin/faults", lab.url_of(service));
    lab.get_json(&url)
        .await
        .1
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `chaos_injections_total` of `kind` in shipments' `/metrics`.
async fn injections(lab: &Lab, kind: &str) -> f64 {
    let text = lab.metrics_text("shipments").await;
    text.lines()
        .filter(|l| {
            l.starts_with("chaos_injections_total") && l.contains(&format!("kind=\"{kind}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits for a `process order.placed` span of shipments in `trace` with a
/// `chaos.fault` event of `kind`.
async fn fault_event_in(lab: &Lab, trace: &str, kind: &str) {
    let hub = lab.state["hub_url"].as_str().unwrap().to_string();
    eventually(
        &format!("a {kind} fault event on shipments' process span"),
        Duration::from_secs(15),
        || {
            let url = format!("{hub}/api/traces/{trace}");
            async move {
                let v: Value = lab.http.get(url).send().await.ok()?.json().await.ok()?;
                v["spans"]
                    .as_array()?
                    .iter()
                    .filter(|s| s["service"] == "shipments" && s["name"] == "process order.placed")
                    .flat_map(|s| s["events"].as_array().cloned().unwrap_or_default())
                    .any(|e| e["name"] == "chaos.fault" && e["attributes"]["fault.kind"] == kind)
                    .then_some(())
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_delivery_makes_two_shipments_unless_message_ids_are_honoured() {
    if !nats_installed("duplicate_delivery on shipments") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;

    // Refused: a bad rate (named), and a service that consumes nothing.
    let (status, body) = fault(
        &lab,
        "shipments",
        json!({ "kind": "duplicate_delivery", "rate": 2 }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("rate must be between 0 and 1"),
        "{body}"
    );
    let (status, body) = fault(
        &lab,
        "payments",
        json!({ "kind": "duplicate_delivery", "rate": 1 }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("consumes none"),
        "{body}"
    );
    assert!(active(&lab, "shipments").await.is_empty());

    let (status, added) = fault(
        &lab,
        "shipments",
        json!({ "kind": "duplicate_delivery", "rate": 1, "subject": "order.placed", "duration_ms": 60000 }),
    )
    .await;
    assert_eq!(status, 201, "{added}");

    // Message ids not honoured: the redelivery is worked again.
    set(
        &lab,
        "shipments",
        json!({ "honour_idempotency_keys": false }),
    )
    .await;
    let (trace, tp) = traceparent(0xd1);
    let first = order(&lab, &token, &tp).await;
    eventually(
        "two shipments for one order",
        Duration::from_secs(15),
        || async { (shipments(&lab, &first).await == 2).then_some(()) },
    )
    .await;
    fault_event_in(&lab, &trace, "duplicate_delivery").await;

    // Honoured: the redelivery is recognised and acknowledged without work.
    set(
        &lab,
        "shipments",
        json!({ "honour_idempotency_keys": true }),
    )
    .await;
    let (_, tp) = traceparent(0xd2);
    let second = order(&lab, &token, &tp).await;
    eventually(
        "the second order redelivered too",
        Duration::from_secs(15),
        || async { (injections(&lab, "duplicate_delivery").await >= 2.0).then_some(()) },
    )
    .await;
    eventually("its shipment", Duration::from_secs(15), || async {
        (shipments(&lab, &second).await >= 1).then_some(())
    })
    .await;
    let audit = lab
        .get_json(&format!("{}/shipments/audit", lab.url_of("shipments")))
        .await
        .1;
    assert_eq!(shipments(&lab, &second).await, 1, "one shipment: {audit}");
    assert_eq!(
        audit["orders_more_than_once"], 1,
        "the first order only: {audit}"
    );
    assert_eq!(audit["extra_records"], 1, "{audit}");

    // Removed by DELETE: no more duplicates.
    let id = added["id"].as_str().unwrap();
    let r = lab
        .http
        .delete(format!(
            "{}/chaos/faults/service:shipments:{id}",
            lab.agent()
        ))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(active(&lab, "shipments").await.is_empty());
    set(
        &lab,
        "shipments",
        json!({ "honour_idempotency_keys": false }),
    )
    .await;
    let (_, tp) = traceparent(0xd3);
    let third = order(&lab, &token, &tp).await;
    eventually(
        "the third order's shipment",
        Duration::from_secs(15),
        || async { (shipments(&lab, &third).await >= 1).then_some(()) },
    )
    .await;
    chaoslab_testkit::holds_for(
        "one shipment, no duplicate",
        Duration::from_secs(1),
        || async { shipments(&lab, &third).await == 1 },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_message_stalls_the_queue_without_a_dead_letter_queue_until_it_ends() {
    if !nats_installed("poison_message on shipments") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let (status, body) = fault(
        &lab,
        "shipments",
        json!({ "kind": "poison_message", "count": 0 }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("count must be from 1"),
        "{body}"
    );

    // Without a dead-letter queue: the poison holds every order behind it
    // while the fault lasts, then the queue drains by itself.
    set(&lab, "shipments", json!({ "dead_letter_queue": false })).await;
    let (status, added) = fault(
        &lab,
        "shipments",
        json!({ "kind": "poison_message", "count": 1, "duration_ms": 6000 }),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let (trace, tp) = traceparent(0xe1);
    let poisoned = order(&lab, &token, &tp).await;
    let (_, tp) = traceparent(0xe2);
    let behind = order(&lab, &token, &tp).await;
    fault_event_in(&lab, &trace, "poison_message").await;
    chaoslab_testkit::holds_for(
        "the order behind the poison waits",
        Duration::from_secs(2),
        || async { shipments(&lab, &behind).await == 0 },
    )
    .await;
    let audit = lab
        .get_json(&format!("{}/shipments/audit", lab.url_of("shipments")))
        .await
        .1;
    assert!(
        audit["backlog"].as_u64().unwrap() >= 2,
        "both held in the broker: {audit}"
    );
    eventually(
        "the fault gone by itself",
        Duration::from_secs(10),
        || async { active(&lab, "shipments").await.is_empty().then_some(()) },
    )
    .await;
    eventually(
        "both orders shipped once it ended",
        Duration::from_secs(15),
        || async {
            (shipments(&lab, &poisoned).await == 1 && shipments(&lab, &behind).await == 1)
                .then_some(())
        },
    )
    .await;

    // With the dead-letter queue: the poison is moved aside, the rest flows.
    set(&lab, "shipments", json!({ "dead_letter_queue": true })).await;
    let (status, added) = fault(
        &lab,
        "shipments",
        json!({ "kind": "poison_message", "duration_ms": 60000 }),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let (_, tp) = traceparent(0xe3);
    let poisoned = order(&lab, &token, &tp).await;
    let (_, tp) = traceparent(0xe4);
    let behind = order(&lab, &token, &tp).await;
    eventually(
        "the order behind it shipped",
        Duration::from_secs(15),
        || async { (shipments(&lab, &behind).await == 1).then_some(()) },
    )
    .await;
    assert_eq!(shipments(&lab, &poisoned).await, 0);
    let js = jetstream_of(&lab, "broker").await;
    let dead: Vec<String> = messages(&js, "ORDERS_DLQ")
        .await
        .iter()
        .filter(|m| m.subject.as_str() == "dlq.shipments.order.placed")
        .filter_map(|m| Some(m.headers.get("Dead-Letter-Original-Id")?.to_string()))
        .collect();
    assert_eq!(dead, [format!("order-{poisoned}-placed")]);
    let id = added["id"].as_str().unwrap();
    let r = lab
        .http
        .delete(format!("{}/admin/faults/{id}", lab.url_of("shipments")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(active(&lab, "shipments").await.is_empty());
}
