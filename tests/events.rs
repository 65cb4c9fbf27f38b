//! The order events against the real broker (the shop's lab, nats-server
//! with JetStream): a confirmed checkout's `order.placed` reaches the
//! stream once, with its message id and the checkout's trace context; with
//! the broker down the checkout still answers at once, and the outbox
//! delivers the event when the broker is back.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{
    Lab,
    broker::{first_messages, jetstream_of, messages, nats_installed},
    eventually,
};

/// A trace id of our own, sent with the checkout.
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

async fn checkout(lab: &Lab, token: &str, traceparent: &str) -> (u16, Value) {
    let r = lab
        .http
        .post(format!("{}/api/checkout", lab.gateway()))
        .bearer_auth(token)
        .header("traceparent", traceparent)
        .json(&json!({ "items": [{ "product_id": 3, "quantity": 1 }] }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn header<'a>(m: &'a async_nats::jetstream::message::StreamMessage, name: &str) -> Option<&'a str> {
    m.headers.get(name).map(|v| v.as_str())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkout_publishes_order_placed_once_with_its_trace_context() {
    if !nats_installed("order.placed reaches the broker") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let (status, body) = checkout(&lab, &token, &format!("00-{TRACE}-00f067aa0ba902b7-01")).await;
    assert_eq!(status, 201, "{body}");
    let order = body["order_id"].as_str().unwrap().to_string();
    let js = jetstream_of(&lab, "broker").await;
    let found = first_messages(&js, "ORDERS", Duration::from_secs(10)).await;
    assert_eq!(found.len(), 1, "one event for one order");
    let m = &found[0];
    assert_eq!(m.subject.as_str(), "order.placed");
    assert_eq!(
        header(m, "Nats-Msg-Id"),
        Some(format!("order-{order}-placed").as_str())
    );
    let tp = header(m, "traceparent").expect("trace context in the headers");
    assert!(
        tp.starts_with(&format!("00-{TRACE}-")),
        "the publish continues the checkout's trace: {tp}"
    );
    let event: Value = serde_json::from_slice(&m.payload).unwrap();
    assert_eq!(event["order_id"], order.as_str());
    assert_eq!(event["items"], json!([[3, 1]]));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_broker_down_checkout_answers_and_the_outbox_delivers_later() {
    if !nats_installed("the outbox outlasts a broker outage") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    lab.stop_process("broker", 3000).await;
    let started = Instant::now();
    let (status, body) = checkout(&lab, &token, &format!("00-{TRACE}-00f067aa0ba902b7-01")).await;
    assert_eq!(status, 201, "checkout does not need the broker: {body}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "checkout waited on the broker: {:?}",
        started.elapsed()
    );
    let order = body["order_id"].as_str().unwrap().to_string();
    // The outage ends by itself; the relay then publishes the row.
    eventually("broker back", Duration::from_secs(15), || async {
        lab.pid_of("broker").map(|_| ())
    })
    .await;
    let js = jetstream_of(&lab, "broker").await;
    let found = first_messages(&js, "ORDERS", Duration::from_secs(15)).await;
    let ids: Vec<&str> = found
        .iter()
        .filter_map(|m| header(m, "Nats-Msg-Id"))
        .collect();
    assert_eq!(ids, [format!("order-{order}-placed").as_str()]);
}

/// The order view of `order` (as its owner sees it).
async fn order_view(lab: &Lab, token: &str, order: &str) -> Value {
    lab.get_json_auth(&format!("{}/api/orders/{order}", lab.gateway()), token)
        .await
        .1
}

#[tokio::test(flavor = "multi_thread")]
async fn both_consumers_act_once_and_the_order_view_shows_the_shipment() {
    if !nats_installed("consumers of order.placed") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let (status, body) = checkout(&lab, &token, &format!("00-{TRACE}-00f067aa0ba902b7-01")).await;
    assert_eq!(status, 201, "{body}");
    let order = body["order_id"].as_str().unwrap().to_string();
    let shipments = eventually(
        "a shipment in the order view",
        Duration::from_secs(10),
        || {
            let (lab, token, order) = (&lab, &token, &order);
            async move {
                let v = order_view(lab, token, order).await;
                v["shipments"].as_array().filter(|s| !s.is_empty()).cloned()
            }
        },
    )
    .await;
    assert_eq!(shipments.len(), 1, "{shipments:?}");
    assert_eq!(shipments[0]["message_id"], format!("order-{order}-placed"));
    let emails = eventually("the confirmation email", Duration::from_secs(10), || {
        let (lab, order) = (&lab, &order);
        async move {
            let url = format!("{}/emails?order_id={order}", lab.url_of("notifications"));
            let v = lab.get_json(&url).await.1;
            v.as_array().filter(|e| !e.is_empty()).cloned()
        }
    })
    .await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["user_id"], 1);
}

/// The number in `service`'s `/metrics` for the series starting with `series`.
async fn metric(lab: &Lab, service: &str, series: &str) -> f64 {
    let text = lab.metrics_text(service).await;
    text.lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A poison message (one no consumer can read) first, then a real order.
async fn poison_then_order(lab: &Lab, token: &str) -> String {
    let js = jetstream_of(lab, "broker").await;
    // The consumers make the stream when they start.
    eventually("the ORDERS stream", Duration::from_secs(10), || {
        let js = js.clone();
        async move { js.get_stream("ORDERS").await.ok().map(|_| ()) }
    })
    .await;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "poison-1");
    js.publish_with_headers("order.placed", headers, "not an order".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let (status, body) = checkout(lab, token, &format!("00-{TRACE}-00f067aa0ba902b7-01")).await;
    assert_eq!(status, 201, "{body}");
    body["order_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_message_is_dead_lettered_and_the_rest_flows() {
    if !nats_installed("poison message, dead-letter queue on") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let order = poison_then_order(&lab, &token).await;
    eventually(
        "the order shipped past the poison",
        Duration::from_secs(15),
        || {
            let (lab, token, order) = (&lab, &token, &order);
            async move {
                let v = order_view(lab, token, order).await;
                v["shipments"]
                    .as_array()
                    .filter(|s| s.len() == 1)
                    .map(|_| ())
            }
        },
    )
    .await;
    let js = jetstream_of(&lab, "broker").await;
    let dead = messages(&js, "ORDERS_DLQ").await;
    let subjects: Vec<&str> = dead.iter().map(|m| m.subject.as_str()).collect();
    assert!(
        subjects.contains(&"dlq.shipments.order.placed"),
        "{subjects:?}"
    );
    assert!(metric(&lab, "shipments", "messaging_dead_lettered_total").await >= 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_dead_letter_queue_a_poison_message_stalls_the_queue() {
    if !nats_installed("poison message, dead-letter queue off") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let r = lab
        .http
        .put(format!("{}/admin/settings", lab.url_of("shipments")))
        .json(&json!({ "dead_letter_queue": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = lab.login().await;
    let order = poison_then_order(&lab, &token).await;
    // Past the point where the queue would have dead-lettered it...
    eventually(
        "the poison redelivered 4 times",
        Duration::from_secs(15),
        || async {
            (metric(&lab, "shipments", "messaging_redelivered_total").await >= 4.0).then_some(())
        },
    )
    .await;
    // ...the order behind it still has no shipment, and shipments
    // dead-lettered nothing (notifications, with its queue on, did).
    let v = order_view(&lab, &token, &order).await;
    assert_eq!(v["shipments"], json!([]), "{v}");
    let js = jetstream_of(&lab, "broker").await;
    let subjects: Vec<String> = messages(&js, "ORDERS_DLQ")
        .await
        .iter()
        .map(|m| m.subject.to_string())
        .collect();
    assert_eq!(subjects, ["dlq.notifications.order.placed"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn published_by_the_checkout_itself_an_event_is_lost_while_the_broker_is_down() {
    if !nats_installed("publish_via_outbox off") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let r = lab
        .http
        .put(format!("{}/admin/settings", lab.url_of("orders")))
        .json(&json!({ "publish_via_outbox": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = lab.login().await;
    lab.stop_process("broker", 3000).await;
    let (status, body) = checkout(&lab, &token, &format!("00-{TRACE}-00f067aa0ba902b7-01")).await;
    assert_eq!(status, 201, "the order is confirmed all the same: {body}");
    let lost = body["order_id"].as_str().unwrap().to_string();
    eventually("broker back", Duration::from_secs(15), || async {
        lab.pid_of("broker").map(|_| ())
    })
    .await;
    // Ready again (JetStream answers) before the next checkout publishes.
    let port = lab.state["processes"]["broker"]["port"].clone();
    eventually("the broker answering", Duration::from_secs(15), || {
        let port = port.clone();
        async move {
            let client = async_nats::connect(format!("nats://127.0.0.1:{port}"))
                .await
                .ok()?;
            let js = async_nats::jetstream::new(client);
            js.get_stream("ORDERS").await.ok().map(|_| ())
        }
    })
    .await;
    let (status, body) = checkout(&lab, &token, &format!("00-{TRACE}-00f067aa0ba902b7-01")).await;
    assert_eq!(status, 201, "{body}");
    let later = body["order_id"].as_str().unwrap().to_string();
    let audit = eventually(
        "the later order shipped",
        Duration::from_secs(15),
        || async {
            let url = format!("{}/shipments?order_id={later}", lab.url_of("shipments"));
            let shipped = lab
                .get_json(&url)
                .await
                .1
                .as_array()
                .is_some_and(|s| s.len() == 1);
            let url = format!("{}/shipments/audit", lab.url_of("shipments"));
            let a = lab.get_json(&url).await.1;
            shipped.then_some(a)
        },
    )
    .await;
    assert!(
        audit["orders_missing"].as_u64() >= Some(1),
        "the lost order is counted: {audit}"
    );
    let js = jetstream_of(&lab, "broker").await;
    let ids: Vec<String> = messages(&js, "ORDERS")
        .await
        .iter()
        .filter_map(|m| header(m, "Nats-Msg-Id").map(str::to_string))
        .collect();
    assert!(!ids.contains(&format!("order-{lost}-placed")), "{ids:?}");
}

/// Orders crashes and is restarted (its book of orders is in memory): the
/// orders it takes after never reuse an id it gave before, so payments
/// charges them (no idempotency-key replay of an old order's charge), the
/// broker keeps their events (no duplicate-window drop) and the consumers
/// count each once; the shipments' audit still finds no order missing.
#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_orders_gives_new_ids_and_every_order_is_charged_and_shipped_once() {
    if !nats_installed("orders restarted") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let trace = format!("00-{TRACE}-00f067aa0ba902b7-01");
    let mut before = Vec::new();
    for _ in 0..2 {
        let (status, body) = checkout(&lab, &token, &trace).await;
        assert_eq!(status, 201, "{body}");
        before.push(body["order_id"].as_str().unwrap().to_string());
    }
    // Shipped before the crash: the outbox is in orders' memory too, and
    // an event not yet relayed would go down with it.
    let audit_url = format!("{}/shipments/audit", lab.url_of("shipments"));
    let shipped = |n: u64| {
        let (lab, url) = (&lab, &audit_url);
        move || async move {
            let v = lab.get_json(url).await.1;
            (v["orders"] == n).then_some(v)
        }
    };
    eventually("both orders shipped", Duration::from_secs(15), shipped(2)).await;
    lab.crash("orders").await;
    let first_after = eventually(
        "a checkout after the restart",
        Duration::from_secs(10),
        || {
            let (lab, token, trace) = (&lab, &token, &trace);
            async move {
                let (status, body) = checkout(lab, token, trace).await;
                (status == 201).then(|| body["order_id"].as_str().unwrap().to_string())
            }
        },
    )
    .await;
    let (status, body) = checkout(&lab, &token, &trace).await;
    assert_eq!(status, 201, "{body}");
    let after = [first_after, body["order_id"].as_str().unwrap().to_string()];
    for id in &after {
        assert!(
            !before.contains(id),
            "{id} was given before the restart: {before:?}"
        );
        assert_eq!(lab.charges(id).await.len(), 1, "order {id} is charged once");
    }
    let audit = eventually(
        "all four orders shipped",
        Duration::from_secs(15),
        shipped(4),
    )
    .await;
    assert_eq!(audit["orders_more_than_once"], 0, "{audit}");
    assert_eq!(audit["orders_missing"], 0, "{audit}");
}
