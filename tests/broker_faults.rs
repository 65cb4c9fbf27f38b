//! The event path under the lab's other faults, against the real broker:
//! the consumer's process down (the backlog grows in the broker, then
//! drains when it is back, nothing lost), a slow consumer (an in-service
//! latency fault on its work: the backlog grows), and the broker link
//! through the agent's TCP proxy with toxics (publishes time out or are
//! cut, the outbox holds the events, and every one arrives once after).

mod support;

use async_nats::jetstream;
use serde_json::{Value, json};
use std::time::Duration;
use support::{
    Lab,
    broker::{jetstream_of, messages, nats_installed},
    eventually,
};

async fn orders(lab: &Lab, token: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let (status, body) = lab
            .checkout(token, None, json!([{ "product_id": 4, "quantity": 1 }]))
            .await;
        assert_eq!(status, 201, "{body}");
        out.push(body["order_id"].as_str().unwrap().to_string());
    }
    out
}

/// `GET url` as JSON; `None` while nobody answers (shipments down).
async fn json_of(lab: &Lab, url: &str) -> Option<Value> {
    lab.http.get(url).send().await.ok()?.json().await.ok()
}

async fn audit(lab: &Lab) -> Value {
    let url = format!("{}/shipments/audit", lab.url_of("shipments"));
    json_of(lab, &url).await.unwrap_or(Value::Null)
}

/// The messages the broker holds for the durable consumer `shipments`
/// that it has not acknowledged, asked of the broker itself.
async fn broker_backlog(js: &jetstream::Context) -> Option<u64> {
    let stream = js.get_stream("ORDERS").await.ok()?;
    let mut c: jetstream::consumer::PullConsumer = stream.get_consumer("shipments").await.ok()?;
    let info = c.info().await.ok()?;
    Some(info.num_pending + info.num_ack_pending as u64)
}

/// Each of `ids` has exactly one shipment, and none is missing.
async fn all_shipped_once(lab: &Lab, ids: &[String]) -> Option<()> {
    for id in ids {
        let url = format!("{}/shipments?order_id={id}", lab.url_of("shipments"));
        if json_of(lab, &url).await?.as_array()?.len() != 1 {
            return None;
        }
    }
    let a = audit(lab).await;
    (a["orders_missing"] == 0 && a["extra_records"] == 0 && a["backlog"] == 0).then_some(())
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_consumer_down_the_backlog_grows_then_drains_with_nothing_lost() {
    if !nats_installed("the consumer down") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let js = jetstream_of(&lab, "broker").await;
    eventually(
        "the shipments consumer",
        Duration::from_secs(10),
        || async { broker_backlog(&js).await },
    )
    .await;
    lab.stop_process("shipments", 4000).await;
    let ids = orders(&lab, &token, 5).await;
    eventually(
        "five events waiting in the broker",
        Duration::from_secs(5),
        || async { (broker_backlog(&js).await? >= 5).then_some(()) },
    )
    .await;
    // The outage ends by itself; the durable consumer picks up where it was.
    eventually(
        "every order shipped once, none missing",
        Duration::from_secs(20),
        || all_shipped_once(&lab, &ids),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_consumer_lets_the_backlog_grow_until_the_fault_goes() {
    if !nats_installed("a slow consumer") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let (status, f) = lab
        .post_agent(
            "/chaos/services/shipments/faults",
            json!({ "kind": "latency", "latency_ms": 1500, "route": "order.placed", "duration_ms": 30000 }),
        )
        .await;
    assert_eq!(status, 201, "{f}");
    let ids = orders(&lab, &token, 4).await;
    eventually(
        "the backlog at three or more",
        Duration::from_secs(5),
        || async { (audit(&lab).await["backlog"].as_u64()? >= 3).then_some(()) },
    )
    .await;
    let r = lab
        .http
        .delete(format!("{}/admin/faults", lab.url_of("shipments")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    eventually(
        "drained once the work is fast",
        Duration::from_secs(15),
        || all_shipped_once(&lab, &ids),
    )
    .await;
}

async fn toxic(lab: &Lab, body: Value) {
    let r = lab
        .http
        .post(format!("{}/proxies/broker/toxics", lab.agent()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
}

async fn outbox_depth(lab: &Lab) -> f64 {
    let text = lab.metrics_text("orders").await;
    text.lines()
        .filter(|l| l.starts_with("messaging_queue_depth") && l.contains("orders.outbox"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn toxics_on_the_broker_link_hold_events_in_the_outbox_until_they_go() {
    if !nats_installed("toxics on the broker link") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let mut ids = orders(&lab, &token, 1).await;
    let js = jetstream_of(&lab, "broker").await;
    eventually(
        "the first event stored",
        Duration::from_secs(10),
        || async { (messages(&js, "ORDERS").await.len() == 1).then_some(()) },
    )
    .await;
    // Slower than the relay's 2 s wait for the publish ack: publishes fail.
    toxic(&lab, json!({ "name": "slow", "type": "latency", "stream": "downstream", "attributes": { "latency": 3000 } })).await;
    ids.extend(orders(&lab, &token, 2).await);
    eventually(
        "the outbox holding them",
        Duration::from_secs(5),
        || async { (outbox_depth(&lab).await >= 2.0).then_some(()) },
    )
    .await;
    // Then connections cut as they open.
    toxic(&lab, json!({ "name": "cut", "type": "reset_peer", "stream": "upstream", "attributes": { "timeout": 0 } })).await;
    ids.extend(orders(&lab, &token, 2).await);
    chaoslab_testkit::holds_for("the outbox keeps them", Duration::from_secs(2), || async {
        outbox_depth(&lab).await >= 4.0
    })
    .await;
    for name in ["slow", "cut"] {
        let r = lab
            .http
            .delete(format!("{}/proxies/broker/toxics/{name}", lab.agent()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    let want: Vec<String> = ids.iter().map(|o| format!("order-{o}-placed")).collect();
    eventually(
        "every event stored once",
        Duration::from_secs(20),
        || async {
            let got: Vec<String> = messages(&js, "ORDERS")
                .await
                .iter()
                .filter_map(|m| Some(m.headers.get("Nats-Msg-Id")?.to_string()))
                .collect();
            (got == want).then_some(())
        },
    )
    .await;
    assert_eq!(outbox_depth(&lab).await, 0.0);
    eventually("every order shipped once", Duration::from_secs(20), || {
        all_shipped_once(&lab, &ids)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn more_messages_in_flight_work_a_backlog_at_once() {
    if !nats_installed("max_in_flight") {
        return;
    }
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let js = jetstream_of(&lab, "broker").await;
    let (status, f) = lab
        .post_agent(
            "/chaos/services/shipments/faults",
            json!({ "kind": "latency", "latency_ms": 2000, "route": "order.placed", "duration_ms": 30000 }),
        )
        .await;
    assert_eq!(status, 201, "{f}");
    let r = lab
        .http
        .put(format!("{}/admin/settings", lab.url_of("shipments")))
        .json(&json!({ "max_in_flight": 4 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    eventually(
        "the consumer made again with 4",
        Duration::from_secs(5),
        || async {
            let stream = js.get_stream("ORDERS").await.ok()?;
            let mut c: jetstream::consumer::PullConsumer =
                stream.get_consumer("shipments").await.ok()?;
            (c.info().await.ok()?.config.max_ack_pending == 4).then_some(())
        },
    )
    .await;
    let ids = orders(&lab, &token, 4).await;
    // The broker has handed all four over at once (one at a time, three
    // would still be waiting behind the first).
    eventually(
        "four messages in hand at once",
        Duration::from_secs(5),
        || async {
            let stream = js.get_stream("ORDERS").await.map_err(|e| e.to_string())?;
            let mut c: jetstream::consumer::PullConsumer = stream
                .get_consumer("shipments")
                .await
                .map_err(|e| e.to_string())?;
            let info = c.info().await.map_err(|e| e.to_string())?;
            let seen = (info.config.max_ack_pending, info.num_ack_pending);
            if seen == (4, 4) {
                Ok(())
            } else {
                Err(format!("max_ack_pending, in hand: {seen:?}"))
            }
        },
    )
    .await;
    eventually("all shipped once", Duration::from_secs(15), || {
        all_shipped_once(&lab, &ids)
    })
    .await;
}
